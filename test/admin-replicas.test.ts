import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketOf, initBucketing } from '../gateway/routing/bucket.ts';
import { ADMIN_TOKEN } from './support/admin-fixtures.ts';
import { adminCall, converse, waitFor } from './support/admin-stack.ts';
import { spawnGateway, stopProcess } from './support/gateway.ts';
import { deleteStoreKeys } from './support/redis-client.ts';
import { SHARED_REDIS_PORT, sharedRedisMissing } from './support/redis-server.ts';
import { startUpstashShim, type UpstashShim } from './support/upstash-shim.ts';

const CANARY = 'replica-canary';
const SESSIONS = Array.from({ length: 40 }, (_, i) => `replica-session-${i}`);

const redisMissing = await sharedRedisMissing();
let shim: UpstashShim | null = null;
const gateways: { url: string; child: ChildProcess }[] = [];
const keyPrefix = `test:replicas:${randomUUID()}:`;

beforeAll(async () => {
  if (redisMissing !== null) return;
  await initBucketing();
  shim = await startUpstashShim(SHARED_REDIS_PORT);
  const env = {
    CONFIG_STORE: 'upstash',
    UPSTASH_REDIS_REST_URL: shim.url,
    UPSTASH_REDIS_REST_TOKEN: shim.token,
    CONFIG_STORE_PREFIX: keyPrefix,
    CONFIG_POLL_MS: '250',
    ADMIN_TOKEN,
    GATEWAY_API_KEYS: '',
    UPSTREAM: 'simulator',
    SIM_TIME_SCALE: '0',
  };
  // The first seeds the empty store from the file; the second finds it seeded.
  gateways.push(await spawnGateway(env));
  gateways.push(await spawnGateway(env));
}, 40_000);

afterAll(async () => {
  await Promise.all(gateways.map((g) => stopProcess(g.child)));
  await shim?.close();
  if (shim) await deleteStoreKeys(SHARED_REDIS_PORT, [keyPrefix]);
});

describe.skipIf(redisMissing !== null)('two gateway processes sharing Redis through the Upstash adapter', () => {
  it('both apply a weight change made through one, and a session keeps its arm on both', async () => {
    const [a, b] = gateways;
    if (!a || !b) throw new Error('both gateways must run');
    const created = await adminCall(a.url, 'POST', '/canaries', {
      id: CANARY,
      route: 'mangaassist',
      intent: 'faq',
      baseline: 'sonnet-35-v1',
      candidate: 'haiku-35',
      weight: 10,
    });
    expect(created.status).toBe(201);
    const expectedArm = (weight: number, session: string): string => (bucketOf(CANARY, session) < weight * 100 ? 'canary' : 'baseline');
    const mover = SESSIONS.find((s) => bucketOf(CANARY, s) >= 1_000 && bucketOf(CANARY, s) < 6_000)!;
    expect(mover).toBeDefined();
    for (const g of [a, b])
      await waitFor(async () => (await converse(g.url, 'faq', mover)).arm === 'baseline', 10_000, 'the canary at 10%');

    const changed = await adminCall(a.url, 'PATCH', `/canaries/${CANARY}`, { weight: 60 });
    expect(changed.status).toBe(200);
    // The guard only stops a hang; how soon replicas apply a change is set by CONFIG_POLL_MS, not asserted here.
    await Promise.all(
      [a, b].map((g) => waitFor(async () => (await converse(g.url, 'faq', mover)).arm === 'canary', 10_000, `${g.url} to apply 60%`)),
    );

    for (const session of SESSIONS) {
      const [onA, onB] = await Promise.all([converse(a.url, 'faq', session), converse(b.url, 'faq', session)]);
      expect(onA.status).toBe(200);
      expect(onA.arm).toBe(expectedArm(60, session));
      expect(onB.arm).toBe(onA.arm);
      expect(onB.config).toBe(onA.config);
    }
    const seenByB = await adminCall(b.url, 'GET', `/canaries/${CANARY}`);
    expect(seenByB.json.weight).toBe(60);
  });
});
