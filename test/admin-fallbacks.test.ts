import { describe, expect, it } from 'vitest';
import { seededAdmin } from './support/admin-fixtures.ts';

const HAIKU = { provider: 'bedrock', modelId: 'anthropic.claude-3-5-haiku-20241022-v1:0' };

describe('admin API: configuration fallbacks', () => {
  it('accepts fallbacks naming existing configurations and shows them', async () => {
    const admin = await seededAdmin();
    const created = await admin.call('POST', '/configs', {
      body: { id: 'haiku-with-fallback', upstream: HAIKU, maxTokens: 500, fallbacks: ['sonnet-35-v1', 'sonnet-3'] },
    });
    expect(created.status).toBe(201);
    const read = await admin.call('GET', '/configs/haiku-with-fallback');
    expect(read.json).toMatchObject({ fallbacks: ['sonnet-35-v1', 'sonnet-3'] });
  });

  it('409 for a dangling fallback, a self-reference and a cycle, naming the field; the store is unchanged', async () => {
    const admin = await seededAdmin();
    const before = await admin.snapshot();
    const dangling = await admin.call('POST', '/configs', { body: { id: 'x', upstream: HAIKU, maxTokens: 5, fallbacks: ['missing'] } });
    expect(dangling.status).toBe(409);
    expect(dangling.json!.error.issues).toContainEqual({
      path: 'config.configs.5.fallbacks.0',
      message: 'unknown configuration "missing"',
    });
    const self = await admin.call('POST', '/configs', { body: { id: 'x', upstream: HAIKU, maxTokens: 5, fallbacks: ['x'] } });
    expect(self.status).toBe(409);
    expect(self.json!.error.message).toContain('names itself as a fallback');
    expect(await admin.snapshot()).toEqual(before);

    const haiku = (await admin.call('GET', '/configs/haiku-35')).json!;
    const sonnet = (await admin.call('GET', '/configs/sonnet-3')).json!;
    expect((await admin.call('PUT', '/configs/haiku-35', { body: { ...haiku, fallbacks: ['sonnet-3'] } })).status).toBe(200);
    const middle = await admin.snapshot();
    const cycle = await admin.call('PUT', '/configs/sonnet-3', { body: { ...sonnet, fallbacks: ['haiku-35'] } });
    expect(cycle.status).toBe(409);
    expect(cycle.json!.error.message).toMatch(
      /fallbacks form a cycle: (haiku-35 -> sonnet-3 -> haiku-35|sonnet-3 -> haiku-35 -> sonnet-3)/,
    );
    expect(await admin.snapshot()).toEqual(middle);
  });

  it('409 when deleting a configuration another one names as a fallback', async () => {
    const admin = await seededAdmin();
    await admin.call('POST', '/configs', { body: { id: 'y', upstream: HAIKU, maxTokens: 5, fallbacks: ['custom-ft'] } });
    const before = await admin.snapshot();
    const res = await admin.call('DELETE', '/configs/custom-ft');
    expect(res.status).toBe(409);
    expect(res.json!.error.message).toContain('configs/y (fallbacks)');
    expect(await admin.snapshot()).toEqual(before);
  });

  it('documents the field in the OpenAPI document', async () => {
    const admin = await seededAdmin();
    const res = await admin.app.request('/admin/openapi.json', { headers: { authorization: 'Bearer test-admin-token-0123456789abcdef' } });
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).toContain('"fallbacks"');
    expect(text).toContain('none may be this configuration');
  });
});
