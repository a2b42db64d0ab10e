import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalEdge, type LocalEdge } from '../gateway/edge/local.ts';
import { loadGatewayConfig } from '../gateway/config/load.ts';
import { upstashConfigStore } from '../stores/config/upstash.ts';
import { SHARED_REDIS_PORT, sharedRedisMissing } from './support/redis-server.ts';
import { startUpstashShim, type UpstashShim } from './support/upstash-shim.ts';

// The Worker's configuration from Upstash (REST), cached per isolate: served from the store, refreshed by its version
// key after answers, and kept (last good) while the store cannot be reached.
const redisMissing = await sharedRedisMissing();
const prefix = `test:edge:${randomUUID()}:`;
const shipped = loadGatewayConfig('config/mangaassist.json');
let shim: UpstashShim | null = null;
let edge: LocalEdge | null = null;

const withDefault = (id: string) => ({
  config: { ...shipped, routes: shipped.routes.map((r) => ({ ...r, default: id })) },
  versions: {},
  apiKeys: [],
});
const audit = { time: 0, actor: 'test', action: 'set', resource: 'routes/mangaassist', before: null, after: null };

beforeAll(async () => {
  if (redisMissing !== null) return;
  shim = await startUpstashShim(SHARED_REDIS_PORT);
  const store = upstashConfigStore({ url: shim.url, token: shim.token, keyPrefix: prefix });
  expect((await store.commit(0, withDefault('haiku-35'), audit)).ok).toBe(true);
  edge = await startLocalEdge({
    simTimeScale: 0,
    vars: { UPSTASH_REDIS_REST_URL: shim.url, UPSTASH_REDIS_REST_TOKEN: shim.token, CONFIG_STORE_PREFIX: prefix, CONFIG_POLL_MS: '100' },
  });
}, 120_000);
afterAll(async () => {
  await edge?.close();
  await shim?.close();
});

/** The configuration that answered a request of an intent outside the route's list (the route's default). */
async function servedConfig(): Promise<string | null> {
  const res = await fetch(`${edge!.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-intent': 'weather' },
    body: JSON.stringify({ model: 'mangaassist', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 }),
  });
  await res.arrayBuffer();
  return res.headers.get('x-gateway-config');
}

async function until(want: string): Promise<string | null> {
  let got: string | null = null;
  for (let i = 0; i < 100 && got !== want; i++) {
    got = await servedConfig();
    if (got !== want) await new Promise((r) => setTimeout(r, 50));
  }
  return got;
}

describe.skipIf(redisMissing !== null)('the Worker following the Upstash config store', () => {
  it('serves the stored configuration, not the bundled file, and reports its version', async () => {
    expect(await servedConfig()).toBe('haiku-35');
    const health = await (await fetch(`${edge!.url}/healthz`)).json();
    expect(health.config).toMatchObject({ version: 1, unavailable: false });
  });

  it('picks up a new version after answers, and keeps the last good one while the store is down', async () => {
    const store = upstashConfigStore({ url: shim!.url, token: shim!.token, keyPrefix: prefix });
    expect((await store.commit(1, withDefault('sonnet-3'), audit)).ok).toBe(true);
    expect(await until('sonnet-3')).toBe('sonnet-3');
    await shim!.close();
    shim = null;
    let health: { config: { version: number; failedPolls: number; unavailable: boolean } } | null = null;
    for (let i = 0; i < 100 && !health?.config.unavailable; i++) {
      expect(await servedConfig()).toBe('sonnet-3');
      health = await (await fetch(`${edge!.url}/healthz`)).json();
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(health?.config).toMatchObject({ version: 2, unavailable: true });
    expect(health!.config.failedPolls).toBeGreaterThan(0);
  });
});
