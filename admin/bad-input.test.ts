import { describe, expect, it } from 'vitest';
import { loadGatewayConfig } from '../gateway/config/load.ts';
import { MAX_JSON_DEPTH } from '../lib/json-depth.ts';
import { memoryConfigStore } from '../stores/config/memory.ts';
import { createAdminApp } from './app.ts';
import { seedStore } from './mutate.ts';

const TOKEN = 'admin-token-for-bad-input';

describe('admin bodies nested too deep', () => {
  it(`10,000 levels -> 400 json_too_deep naming the limit of ${MAX_JSON_DEPTH}, configuration unchanged`, async () => {
    const store = memoryConfigStore();
    await seedStore(store, loadGatewayConfig('config/mangaassist.json'), Date.now);
    const app = createAdminApp({ store, tokens: [TOKEN] });
    const auth = { authorization: `Bearer ${TOKEN}` };
    const before = await (await app.request('/admin/config', { headers: auth })).json();
    const body = `{"id":"deep","description":${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
    const res = await app.request('/admin/configs', { method: 'POST', body, headers: { ...auth, 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: { code: 'json_too_deep', message: `request body nests objects and arrays deeper than the limit of ${MAX_JSON_DEPTH} levels` },
    });
    expect(await (await app.request('/admin/config', { headers: auth })).json()).toEqual(before);
  });
});
