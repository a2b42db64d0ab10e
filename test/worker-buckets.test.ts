import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkerd, type RunningWorkerd } from '../gateway/edge/local.ts';
import { bucketOf, initBucketing } from '../gateway/routing/bucket.ts';
import { CONFIG } from '../gateway/contract/harness.ts';

// The test Worker of the contract run (test/support/contract-worker.ts) computes buckets with bucketOf inside workerd.
let worker: RunningWorkerd;

beforeAll(async () => {
  const t0 = performance.now();
  worker = await startWorkerd({
    port: 0,
    entrypoint: 'test/support/contract-worker.ts',
    vars: { BRIDGE_URL: 'http://127.0.0.1:9', CONTRACT_CONFIG: JSON.stringify(CONFIG), IDLE_MS: '1000' },
  });
  console.log(`Worker under workerd ready in ${Math.round(performance.now() - t0)} ms`);
}, 120_000);
afterAll(async () => {
  await worker?.close();
});

describe('buckets: the same on the Worker as on Node', () => {
  it('10,000 session ids get the same bucket from the Worker runtime as from Node', async () => {
    await initBucketing();
    const sessions = Array.from({ length: 10_000 }, (_, i) => `session-${i}-${(i * 7919) % 104729}`);
    for (const salt of ['sonnet-v2-upgrade', 'canary-1']) {
      const res = await fetch(`${worker.url}/__buckets`, { method: 'POST', body: JSON.stringify({ salt, sessions }) });
      const fromWorker = (await res.json()) as number[];
      expect(fromWorker).toHaveLength(sessions.length);
      expect(fromWorker).toEqual(sessions.map((s) => bucketOf(salt, s)));
      expect(new Set(fromWorker).size).toBeGreaterThan(5_000);
    }
  });
});
