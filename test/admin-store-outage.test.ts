import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { adminCall, converse, startControlledStack, waitFor } from './support/admin-stack.ts';
import { redisServerMissing, startOwnRedis, type OwnRedis } from './support/redis-server.ts';
import { startUpstashShim, type UpstashShim } from './support/upstash-shim.ts';

const redisServer = await redisServerMissing();
let redis: OwnRedis | undefined;
let shim: UpstashShim | undefined;
let stack: Awaited<ReturnType<typeof startControlledStack>> | undefined;

afterAll(async () => {
  await stack?.close();
  await shim?.close();
  await redis?.stop();
});

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

describe.skipIf(redisServer !== null)('config store outage (a redis-server of this test, behind the Upstash shim)', () => {
  it('keeps routing with the last configuration while Redis is down, and recovers when it returns', async () => {
    redis = await startOwnRedis();
    shim = await startUpstashShim(redis.port);
    stack = await startControlledStack({
      store: { kind: 'upstash', url: shim.url, token: shim.token, keyPrefix: `outage:${randomUUID()}:` },
      pollMs: 100,
    });
    const { url } = stack;
    const canary = {
      id: 'outage-canary',
      route: 'mangaassist',
      intent: 'faq',
      baseline: 'sonnet-35-v1',
      candidate: 'haiku-35',
      weight: 100,
    };
    expect((await adminCall(url, 'POST', '/canaries', canary)).status).toBe(201);
    await waitFor(async () => (await converse(url, 'faq', 'outage-session')).arm === 'canary', 10_000, 'the canary');

    await redis.stop();
    await waitFor(async () => (await metric(url, 'gateway_config_store_up')) === 0, 10_000, 'the outage to be noticed');
    for (let i = 0; i < 5; i++) {
      const during = await converse(url, 'faq', 'outage-session');
      expect(during).toMatchObject({ status: 200, arm: 'canary', config: 'haiku-35' });
      await new Promise((r) => setTimeout(r, 100));
    }
    await waitFor(async () => (await metric(url, 'gateway_config_store_failures_total')) >= 3, 10_000, 'three failed polls');
    const refused = await adminCall(url, 'PATCH', '/canaries/outage-canary', { weight: 0 });
    expect(refused.status).toBe(503);
    expect(stack.logger.find('config store unreachable')).toHaveLength(1);

    await redis.start();
    await waitFor(async () => (await metric(url, 'gateway_config_store_up')) === 1, 10_000, 'the recovery');
    expect(stack.logger.find('config store reachable again')).toHaveLength(1);
    expect((await adminCall(url, 'PATCH', '/canaries/outage-canary', { weight: 0 })).status).toBe(200);
    await waitFor(async () => (await converse(url, 'faq', 'outage-session')).arm === 'baseline', 10_000, 'a change after the recovery');
  });
});
