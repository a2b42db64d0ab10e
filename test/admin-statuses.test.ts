import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, seededAdmin } from './support/admin-fixtures.ts';

const CANARY = { id: 'haiku-faq', route: 'mangaassist', intent: 'faq', baseline: 'sonnet-35-v1', candidate: 'haiku-35', weight: 5 };

describe('admin API statuses (DESIGN status list); every refusal leaves the store as it was', () => {
  it('401 without a token, and with a wrong one', async () => {
    const admin = await seededAdmin();
    const before = await admin.snapshot();
    const none = await admin.call('POST', '/canaries', { body: CANARY, token: null });
    expect(none.status).toBe(401);
    expect(none.json).toMatchObject({ error: { code: 'unauthenticated' }, requestId: expect.any(String) });
    const wrong = await admin.call('POST', '/canaries', { body: CANARY, token: `${ADMIN_TOKEN}x` });
    expect(wrong.status).toBe(401);
    expect((await admin.call('GET', '/config', { token: 'nope' })).status).toBe(401);
    expect(await admin.snapshot()).toEqual(before);
  });

  it('403 for a valid data-plane key, created through the API or given in GATEWAY_API_KEYS', async () => {
    const admin = await seededAdmin({ staticDataPlaneKeys: ['static-data-plane-key'] });
    const created = await admin.call('POST', '/api-keys', { body: { name: 'chatbot' } });
    expect(created.status).toBe(201);
    const before = await admin.snapshot();
    for (const key of [created.json!.key as string, 'static-data-plane-key']) {
      const res = await admin.call('PATCH', '/experiments/sonnet-v2-upgrade', { body: { split: 0.5 }, token: key });
      expect(res.status).toBe(403);
      expect(res.json!.error.code).toBe('forbidden');
    }
    expect(await admin.snapshot()).toEqual(before);
  });

  it('400 for malformed JSON and for an invalid body, naming the field', async () => {
    const admin = await seededAdmin();
    const before = await admin.snapshot();
    const malformed = await admin.call('POST', '/canaries', { raw: '{"id": "x",' });
    expect(malformed.status).toBe(400);
    expect(malformed.json!.error.code).toBe('malformed_json');
    const split = await admin.call('PATCH', '/experiments/sonnet-v2-upgrade', { body: { split: 1.5 } });
    expect(split.status).toBe(400);
    expect(split.json!.error.issues).toEqual([{ path: 'split', message: expect.stringContaining('1') }]);
    const weight = await admin.call('POST', '/canaries', { body: { ...CANARY, weight: 101 } });
    expect(weight.status).toBe(400);
    expect(weight.json!.error.issues[0].path).toBe('weight');
    const unknownField = await admin.call('POST', '/configs', {
      body: { id: 'x', upstream: { provider: 'bedrock', modelId: 'm' }, maxTokens: 1, extra: true },
    });
    expect(unknownField.status).toBe(400);
    expect((await admin.call('GET', '/audit?limit=abc')).status).toBe(400);
    expect(await admin.snapshot()).toEqual(before);
  });

  it('404 for an unknown id', async () => {
    const admin = await seededAdmin();
    const before = await admin.snapshot();
    expect((await admin.call('GET', '/configs/nope')).status).toBe(404);
    const res = await admin.call('PATCH', '/canaries/nope', { body: { weight: 10 } });
    expect(res.status).toBe(404);
    expect(res.json!.error).toMatchObject({ code: 'not_found', message: 'no canary "nope"' });
    expect((await admin.call('DELETE', '/configs/nope')).status).toBe(404);
    expect((await admin.call('POST', '/experiments/nope/conclude', { body: { winner: 'haiku-35' } })).status).toBe(404);
    expect((await admin.call('DELETE', '/api-keys/key-nope')).status).toBe(404);
    expect(await admin.snapshot()).toEqual(before);
  });

  it('409 for a dangling reference, a configuration in use, a second running experiment, a duplicate id', async () => {
    const admin = await seededAdmin();
    const before = await admin.snapshot();
    const dangling = await admin.call('POST', '/canaries', { body: { ...CANARY, candidate: 'missing-config' } });
    expect(dangling.status).toBe(409);
    expect(dangling.json!.error.issues).toContainEqual({
      path: 'config.canaries.0.candidate',
      message: 'unknown configuration "missing-config"',
    });
    const inUse = await admin.call('DELETE', '/configs/haiku-35');
    expect(inUse.status).toBe(409);
    expect(inUse.json!.error.message).toContain('routes/mangaassist');
    const second = await admin.call('POST', '/experiments', {
      body: { id: 'second', route: 'mangaassist', intent: 'recommendation', control: 'sonnet-35-v1', treatment: 'haiku-35', split: 0.5 },
    });
    expect(second.status).toBe(409);
    expect(second.json!.error.message).toContain('both run on mangaassist/recommendation');
    expect(
      (
        await admin.call('POST', '/configs', {
          body: { id: 'haiku-35', upstream: { provider: 'bedrock', modelId: 'anthropic.claude-3-5-haiku-20241022-v1:0' }, maxTokens: 5 },
        })
      ).status,
    ).toBe(409);
    const unpriced = await admin.call('DELETE', '/pricing/sagemaker-custom-endpoint');
    expect(unpriced.status).toBe(409);
    expect(await admin.snapshot()).toEqual(before);
  });

  it('412 for a stale If-Match; the current ETag is accepted', async () => {
    const admin = await seededAdmin();
    const read = await admin.call('GET', '/experiments/sonnet-v2-upgrade');
    const etag = read.headers.get('etag')!;
    expect(etag).toMatch(/^"\d+"$/);
    const first = await admin.call('PATCH', '/experiments/sonnet-v2-upgrade', { body: { split: 0.2 }, headers: { 'if-match': etag } });
    expect(first.status).toBe(200);
    expect(first.headers.get('etag')).not.toBe(etag);
    const before = await admin.snapshot();
    const stale = await admin.call('PATCH', '/experiments/sonnet-v2-upgrade', { body: { split: 0.9 }, headers: { 'if-match': etag } });
    expect(stale.status).toBe(412);
    expect(stale.json!.error.code).toBe('precondition_failed');
    expect(await admin.snapshot()).toEqual(before);
    expect((await admin.call('GET', '/experiments/sonnet-v2-upgrade')).json!.split).toBe(0.2);
  });
});

describe('admin API limits', () => {
  it('413 for a body over 1 MiB, nothing changed', async () => {
    const admin = await seededAdmin();
    const before = await admin.snapshot();
    const res = await admin.call('PUT', '/system-prompts/huge', { body: { text: 'x'.repeat(1_100_000) } });
    expect(res.status).toBe(413);
    expect(res.json!.error.code).toBe('payload_too_large');
    expect(await admin.snapshot()).toEqual(before);
  });
});
