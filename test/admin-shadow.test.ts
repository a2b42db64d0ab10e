import { describe, expect, it } from 'vitest';
import { seededAdmin } from './support/admin-fixtures.ts';

const PATH = '/routes/mangaassist/shadow/faq';

describe('admin API: shadow candidates of a route', () => {
  it('sets and clears one intent, versioned and audited as a change of the route', async () => {
    const admin = await seededAdmin();
    const set = await admin.call('PUT', PATH, { body: { config: 'haiku-35', share: 25 } });
    expect(set.status).toBe(200);
    expect(set.json.shadow).toEqual({ faq: { config: 'haiku-35', share: 25 } });
    expect(set.headers.get('etag')).toMatch(/^"\d+"$/);
    const config = await admin.call('GET', '/config');
    expect(config.json.config.routes[0].shadow).toEqual({ faq: { config: 'haiku-35', share: 25 } });
    const wide = await admin.call('PUT', '/routes/mangaassist/shadow/*', { body: { config: 'sonnet-35-v2', share: 5 } });
    expect(wide.json.shadow).toEqual({ faq: { config: 'haiku-35', share: 25 }, '*': { config: 'sonnet-35-v2', share: 5 } });

    const stale = await admin.call('DELETE', PATH, { headers: { 'if-match': set.headers.get('etag')! } });
    expect(stale.status).toBe(412);
    expect((await admin.call('DELETE', PATH)).json.shadow).toEqual({ '*': { config: 'sonnet-35-v2', share: 5 } });
    const cleared = await admin.call('DELETE', '/routes/mangaassist/shadow/*');
    expect(cleared.status).toBe(200);
    expect(cleared.json.shadow).toBeUndefined();
    const audit = await admin.call('GET', '/audit?limit=10');
    const actions = audit.json.entries.map((e: { action: string }) => e.action);
    expect(actions.filter((a: string) => a.endsWith('-shadow'))).toHaveLength(4);
  });

  it('refuses bad input with the right status and a message naming the problem, changing nothing', async () => {
    const admin = await seededAdmin();
    const before = await admin.snapshot();
    const dangling = await admin.call('PUT', PATH, { body: { config: 'nope', share: 10 } });
    expect(dangling.status).toBe(409);
    expect(dangling.json.error.message).toContain('unknown configuration "nope"');
    const intent = await admin.call('PUT', '/routes/mangaassist/shadow/weather', { body: { config: 'haiku-35', share: 10 } });
    expect(intent.status).toBe(409);
    expect(intent.json.error.message).toContain('intent "weather" is not in the route');
    const share = await admin.call('PUT', PATH, { body: { config: 'haiku-35', share: 150 } });
    expect(share.status).toBe(400);
    expect(JSON.stringify(share.json.error)).toContain('share');
    const route = await admin.call('PUT', '/routes/nowhere/shadow/faq', { body: { config: 'haiku-35', share: 10 } });
    expect(route.status).toBe(404);
    expect(route.json.error.message).toBe('no route "nowhere"');
    const none = await admin.call('DELETE', PATH);
    expect(none.status).toBe(404);
    expect(none.json.error.message).toBe('route "mangaassist" has no shadow for intent "faq"');
    expect(await admin.snapshot()).toEqual(before);
  });

  it('answers 401 without the admin token and 403 for a data-plane key, changing nothing', async () => {
    const admin = await seededAdmin({ staticDataPlaneKeys: ['gk-data-plane-key-0123456789'] });
    const before = await admin.snapshot();
    const body = { config: 'haiku-35', share: 10 };
    expect((await admin.call('PUT', PATH, { body, token: null })).status).toBe(401);
    expect((await admin.call('PUT', PATH, { body, token: 'not-a-token' })).status).toBe(401);
    expect((await admin.call('PUT', PATH, { body, token: 'gk-data-plane-key-0123456789' })).status).toBe(403);
    expect((await admin.call('DELETE', PATH, { token: 'gk-data-plane-key-0123456789' })).status).toBe(403);
    expect(await admin.snapshot()).toEqual(before);
  });

  it('a configuration named as a shadow candidate is in use: deleting it is a 409', async () => {
    const admin = await seededAdmin();
    expect((await admin.call('PUT', PATH, { body: { config: 'sonnet-3', share: 10 } })).status).toBe(200);
    const res = await admin.call('DELETE', '/configs/sonnet-3');
    expect(res.status).toBe(409);
    expect(res.json.error.message).toBe('configuration "sonnet-3" is in use by routes/mangaassist');
  });

  it('is in the OpenAPI document with its body schema', async () => {
    const admin = await seededAdmin();
    const doc = (await admin.call('GET', '/openapi.json', { token: null })).json;
    const op = doc.paths['/admin/routes/{name}/shadow/{intent}'];
    expect(op.put.requestBody.content['application/json'].schema.properties.share).toMatchObject({ minimum: 0, maximum: 100 });
    expect(op.delete).toBeDefined();
  });
});
