import { describe, expect, it } from 'vitest';
import type { Canary } from '../../schema/config.ts';
import { WarmupPlan } from './schema.ts';
import { httpWarmup } from './warmup.ts';

const CANARY: Canary = {
  id: 'c1',
  route: 'mangaassist',
  intent: 'faq',
  baseline: 'sonnet-35-v1',
  candidate: 'sonnet-35-v2',
  weight: 0,
  status: 'running',
};

describe('HTTP warm-up', () => {
  it('stops sending and cuts the requests in flight once its signal aborts', async () => {
    let calls = 0;
    // A gateway that never answers until the request is aborted.
    const hang: typeof fetch = (_url, init) => {
      calls++;
      return new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(new Error('aborted'))));
    };
    const stop = new AbortController();
    const run = httpWarmup({ baseUrl: 'http://gateway.test', fetch: hang })(
      CANARY,
      WarmupPlan.parse({ requests: 100, concurrency: 4 }),
      stop.signal,
    );
    await expect.poll(() => calls).toBe(4);
    stop.abort();
    expect(await run).toEqual({ sent: 4, failed: 4, p95LatencyMs: null });
    expect(calls).toBe(4);
  });
});
