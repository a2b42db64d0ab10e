import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { seededAdmin } from './support/admin-fixtures.ts';

describe('admin API', () => {
  it('creates, reads, replaces and deletes model configurations, with versions and an audit trail', async () => {
    const admin = await seededAdmin();
    const body = {
      id: 'haiku-short',
      upstream: { provider: 'bedrock', modelId: 'anthropic.claude-3-5-haiku-20241022-v1:0' },
      maxTokens: 256,
    };
    const created = await admin.call('POST', '/configs', { body });
    expect(created.status).toBe(201);
    expect(created.json).toEqual(body);
    const etag = created.headers.get('etag');
    const replaced = await admin.call('PUT', '/configs/haiku-short', { body: { ...body, maxTokens: 128 }, headers: { 'if-match': etag! } });
    expect(replaced.status).toBe(200);
    expect((await admin.call('GET', '/configs/haiku-short')).json!.maxTokens).toBe(128);
    expect((await admin.call('PUT', '/configs/haiku-short', { body: { ...body, id: 'other' } })).status).toBe(400);
    expect((await admin.call('DELETE', '/configs/haiku-short')).status).toBe(200);
    expect((await admin.call('GET', '/configs/haiku-short')).status).toBe(404);
    const audit = (await admin.call('GET', '/audit')).json!;
    const actions = audit.entries.map((e: { action: string; resource: string }) => `${e.action} ${e.resource}`);
    expect(actions).toEqual(['seed config', 'create configs/haiku-short', 'replace configs/haiku-short', 'delete configs/haiku-short']);
    const replace = audit.entries[2];
    expect(replace.actor).toMatch(/^admin-[0-9a-f]{12}$/);
    expect(replace.before.maxTokens).toBe(256);
    expect(replace.after.maxTokens).toBe(128);
    expect(replace.time).toBeGreaterThan(Date.now() - 60_000);
    const page = (await admin.call('GET', '/audit?after=1&limit=2')).json!;
    expect(page.entries.map((e: { version: number }) => e.version)).toEqual([2, 3]);
    expect(page.next).toBe(3);
  });

  it('runs an experiment through its life: change split, pause, resume, conclude with a winner for its intent', async () => {
    const admin = await seededAdmin();
    expect((await admin.call('PATCH', '/experiments/sonnet-v2-upgrade', { body: { split: 0.5 } })).json!.split).toBe(0.5);
    expect((await admin.call('PATCH', '/experiments/sonnet-v2-upgrade', { body: { status: 'paused' } })).json!.status).toBe('paused');
    expect((await admin.call('PATCH', '/experiments/sonnet-v2-upgrade', { body: { status: 'running' } })).json!.status).toBe('running');
    expect((await admin.call('POST', '/experiments/sonnet-v2-upgrade/conclude', { body: { winner: 'haiku-35' } })).status).toBe(400);
    const concluded = await admin.call('POST', '/experiments/sonnet-v2-upgrade/conclude', { body: { winner: 'sonnet-35-v2' } });
    expect(concluded.status).toBe(200);
    const route = (await admin.call('GET', '/routes/mangaassist')).json!;
    expect(route.table.recommendation).toBe('sonnet-35-v2');
    expect(route.table.faq).toBe('sonnet-35-v1');
    expect((await admin.call('GET', '/experiments/sonnet-v2-upgrade')).json!.status).toBe('stopped');
    expect((await admin.call('PATCH', '/experiments/sonnet-v2-upgrade', { body: { status: 'running' } })).status).toBe(409);
    const next = await admin.call('POST', '/experiments', {
      body: { id: 'haiku-rec', route: 'mangaassist', intent: 'recommendation', control: 'sonnet-35-v2', treatment: 'haiku-35', split: 0.1 },
    });
    expect(next.status).toBe(201);
    expect(next.json!.status).toBe('running');
  });

  it('creates a canary, sets its weight and aborts it', async () => {
    const admin = await seededAdmin();
    const created = await admin.call('POST', '/canaries', {
      body: { id: 'c1', route: 'mangaassist', intent: 'faq', baseline: 'sonnet-35-v1', candidate: 'haiku-35', weight: 5 },
    });
    expect(created.status).toBe(201);
    expect((await admin.call('PATCH', '/canaries/c1', { body: { weight: 25 } })).json!.weight).toBe(25);
    const aborted = await admin.call('POST', '/canaries/c1/abort');
    expect(aborted.json).toMatchObject({ status: 'stopped', weight: 0 });
    expect((await admin.call('PATCH', '/canaries/c1', { body: { weight: 50 } })).status).toBe(409);
    expect((await admin.call('GET', '/canaries')).json!.items).toHaveLength(1);
  });

  it('manages prices and immutable system prompt versions', async () => {
    const admin = await seededAdmin();
    const price = await admin.call('PUT', '/pricing/new-model', { body: { inputPer1k: 0.001, outputPer1k: 0.002 } });
    expect(price.status).toBe(201);
    expect((await admin.call('PUT', '/pricing/new-model', { body: { inputPer1k: 0.002, outputPer1k: 0.002 } })).status).toBe(200);
    expect((await admin.call('GET', `/pricing/${encodeURIComponent('anthropic.claude-3-5-haiku-20241022-v1:0')}`)).json).toEqual({
      inputPer1k: 0.001,
      outputPer1k: 0.005,
      cacheReadPer1k: 0.0001,
      cacheWritePer1k: 0.00125,
    });
    const cached = { inputPer1k: 0.002, outputPer1k: 0.002, cacheReadPer1k: 0.0002, cacheWritePer1k: 0.0025 };
    expect((await admin.call('PUT', '/pricing/new-model', { body: cached })).status).toBe(200);
    expect((await admin.call('GET', '/pricing/new-model')).json).toEqual(cached);
    const negative = await admin.call('PUT', '/pricing/new-model', { body: { ...cached, cacheReadPer1k: -1 } });
    expect(negative.status).toBe(400);
    expect(JSON.stringify(negative.json)).toContain('cacheReadPer1k');
    expect((await admin.call('GET', '/pricing/new-model')).json).toEqual(cached);
    expect((await admin.call('DELETE', '/pricing/new-model')).status).toBe(200);
    expect((await admin.call('PUT', '/system-prompts/v2.0', { body: { text: 'Be brief.' } })).status).toBe(201);
    expect((await admin.call('PUT', '/system-prompts/v2.0', { body: { text: 'Be verbose.' } })).status).toBe(409);
    expect((await admin.call('GET', '/system-prompts/v2.0')).json).toEqual({ text: 'Be brief.' });
    expect((await admin.call('DELETE', '/system-prompts/v1.0')).status).toBe(409);
  });

  it('shows a data-plane key once, stores only its hash, and revokes it', async () => {
    const admin = await seededAdmin();
    const created = await admin.call('POST', '/api-keys', { body: { name: 'chatbot' } });
    expect(created.status).toBe(201);
    const key = created.json!.key as string;
    expect(key).toMatch(/^gwk_/);
    const listed = (await admin.call('GET', '/api-keys')).json!;
    expect(listed.items).toEqual([expect.objectContaining({ id: created.json!.id, name: 'chatbot', revokedAt: null })]);
    expect(JSON.stringify(listed)).not.toContain(key);
    const stored = await admin.store.read();
    const text = JSON.stringify(stored);
    expect(text).not.toContain(key);
    expect(text).toContain(createHash('sha256').update(key).digest('hex'));
    expect(JSON.stringify((await admin.call('GET', '/audit')).json)).not.toContain(key);
    const revoked = await admin.call('DELETE', `/api-keys/${created.json!.id}`);
    expect(revoked.json!.revokedAt).toEqual(expect.any(Number));
    expect((await admin.call('GET', '/config', { token: key })).status).toBe(401);
  });

  it('serves an OpenAPI document generated from the body schemas', async () => {
    const admin = await seededAdmin();
    const res = await admin.call('GET', '/openapi.json', { token: null });
    expect(res.status).toBe(200);
    const doc = res.json!;
    expect(doc.openapi).toBe('3.1.0');
    const patch = doc.paths['/admin/canaries/{id}'].patch;
    expect(patch.requestBody.content['application/json'].schema.properties.weight).toMatchObject({
      type: 'number',
      minimum: 0,
      maximum: 100,
    });
    expect(patch.responses['412']).toBeDefined();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/admin/configs', '/admin/experiments/{id}/conclude', '/admin/api-keys', '/admin/audit']),
    );
  });
});
