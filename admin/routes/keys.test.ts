import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadGatewayConfig } from '../../gateway/config/load.ts';
import { storeConfigSource } from '../../gateway/config/store-source.ts';
import { MemoryLogger } from '../../lib/log/memory.ts';
import { importSecretKey } from '../../lib/secret-box.ts';
import { loggedConfigStore } from '../../stores/config/logged.ts';
import { memoryConfigStore } from '../../stores/config/memory.ts';
import type { ResponseJson } from '../../test/support/json.ts';
import { createAdminApp } from '../app.ts';
import { seedStore } from '../mutate.ts';

const TOKEN = 'keys-route-admin-token-0123456789abcdef';

/** The admin app and the gateway's configuration source over one logged store, as the control plane wires them. */
async function setup(options: { withSecretKey?: boolean } = {}) {
  const logger = new MemoryLogger();
  const store = loggedConfigStore(memoryConfigStore(), logger);
  const seeded = await seedStore(store, loadGatewayConfig('config/mangaassist.json'), Date.now);
  if (!seeded.ok) throw new Error(seeded.message);
  const secretKey = await importSecretKey(randomBytes(32));
  const source = await storeConfigSource(store, { secretKey, logger });
  const app = createAdminApp({ store, tokens: [TOKEN], logger, ...(options.withSecretKey === false ? {} : { secretKey }) });
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await app.request(`/admin${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as ResponseJson) : null };
  };
  return { logger, store, source, call };
}

describe('POST /admin/api-keys with kind sigv4', () => {
  it('answers an access key id and a secret once; lists, audits and logs never show the secret', async () => {
    const { logger, store, source, call } = await setup();
    const created = await call('POST', '/api-keys', { name: 'boto3 chatbot', kind: 'sigv4' });
    expect(created.status).toBe(201);
    const { id, accessKeyId, secretAccessKey } = created.json as { id: string; accessKeyId: string; secretAccessKey: string };
    expect(accessKeyId).toMatch(/^GWKA[A-Z2-7]{16}$/);
    expect(secretAccessKey).toHaveLength(40);
    expect(created.json).toMatchObject({ name: 'boto3 chatbot', kind: 'sigv4', revokedAt: null });
    expect(created.json).not.toHaveProperty('key');
    expect(created.json).not.toHaveProperty('sealedSecret');

    const listed = await call('GET', '/api-keys');
    expect(listed.json!.items).toEqual([
      { id, name: 'boto3 chatbot', kind: 'sigv4', accessKeyId, createdAt: expect.any(Number), revokedAt: null },
    ]);
    const audit = JSON.stringify((await call('GET', '/audit?limit=1000')).json);
    expect(audit).toContain(accessKeyId);
    const stored = JSON.stringify(await store.read());
    for (const text of [JSON.stringify(listed.json), audit, stored, logger.text()]) expect(text).not.toContain(secretAccessKey);
    expect(stored).toMatch(/"sealedSecret":"v1\./);

    // The gateway's source opens the sealed secret with the same key.
    await source.poll();
    expect(source.keys.enabled()).toBe(true);
    expect(await source.keys.sigv4Secret!(accessKeyId)).toBe(secretAccessKey);
    expect(await source.keys.sigv4Secret!('GWKAAAAAAAAAAAAAAAAA')).toBeUndefined();
    expect(logger.text()).not.toContain(secretAccessKey);

    // Revoked like a bearer key; the gateway stops recognising it.
    const revoked = await call('DELETE', `/api-keys/${id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.json).toMatchObject({ id, kind: 'sigv4', accessKeyId, revokedAt: expect.any(Number) });
    expect(JSON.stringify(revoked.json)).not.toContain('sealedSecret');
    await source.poll();
    expect(await source.keys.sigv4Secret!(accessKeyId)).toBeUndefined();
    expect(source.keys.enabled()).toBe(false);
  });

  it('keeps bearer keys the default kind, listed with their kind', async () => {
    const { call } = await setup();
    const created = await call('POST', '/api-keys', { name: 'openai client' });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ kind: 'bearer', key: expect.stringMatching(/^gwk_/) });
    expect(created.json).not.toHaveProperty('secretAccessKey');
    expect((await call('GET', '/api-keys')).json!.items).toEqual([expect.objectContaining({ kind: 'bearer', prefix: expect.any(String) })]);
  });

  it('documents the kinds in the OpenAPI document', async () => {
    const { call } = await setup();
    const doc = (await call('GET', '/openapi.json')).json!;
    const post = doc.paths['/admin/api-keys'].post;
    expect(post.requestBody.content['application/json'].schema.properties.kind).toMatchObject({
      enum: ['bearer', 'sigv4'],
      default: 'bearer',
    });
    expect(post.summary).toMatch(/accessKeyId.*secretAccessKey/);
  });

  it('refuses an unknown kind with 400 naming the field, and changes nothing', async () => {
    const { call } = await setup();
    const before = await call('GET', '/audit?limit=1000');
    const res = await call('POST', '/api-keys', { name: 'x', kind: 'hmac' });
    expect(res.status).toBe(400);
    expect(res.json!.error.issues).toEqual([{ path: 'kind', message: 'must be bearer or sigv4' }]);
    expect((await call('GET', '/api-keys')).json!.items).toEqual([]);
    expect((await call('GET', '/audit?limit=1000')).json).toEqual(before.json);
  });

  it('refuses a SigV4 key with 400 when the admin API has no secret key to seal it', async () => {
    const { call } = await setup({ withSecretKey: false });
    const res = await call('POST', '/api-keys', { name: 'x', kind: 'sigv4' });
    expect(res.status).toBe(400);
    expect(res.json!.error.message).toMatch(/no secret key/);
    expect((await call('GET', '/api-keys')).json!.items).toEqual([]);
  });

  it('a gateway holding another secret key does not recognise the pair, and says why once', async () => {
    const { logger, store, call } = await setup();
    const created = await call('POST', '/api-keys', { name: 'x', kind: 'sigv4' });
    const { accessKeyId } = created.json as { accessKeyId: string };
    const other = await storeConfigSource(store, { secretKey: await importSecretKey(randomBytes(32)), logger });
    expect(other.keys.enabled()).toBe(true);
    expect(await other.keys.sigv4Secret!(accessKeyId)).toBeUndefined();
    expect(await other.keys.sigv4Secret!(accessKeyId)).toBeUndefined();
    expect(logger.entries.filter((e) => e.level === 'error' && e.msg.startsWith('a SigV4 key cannot be opened'))).toHaveLength(1);
  });

  it('a gateway without a secret key (an edge build without GATEWAY_SECRET_KEY) does not recognise the pair, and says why once', async () => {
    const { logger, store, call } = await setup();
    const created = await call('POST', '/api-keys', { name: 'x', kind: 'sigv4' });
    const { accessKeyId } = created.json as { accessKeyId: string };
    const keyless = await storeConfigSource(store, { logger });
    expect(keyless.keys.enabled()).toBe(true);
    expect(await keyless.keys.sigv4Secret!(accessKeyId)).toBeUndefined();
    expect(await keyless.keys.sigv4Secret!(accessKeyId)).toBeUndefined();
    const lines = logger.entries.filter((e) => e.level === 'error' && e.msg.includes('set GATEWAY_SECRET_KEY'));
    expect(lines).toHaveLength(1);
    expect(JSON.stringify(logger.entries)).not.toContain((created.json as { secretAccessKey: string }).secretAccessKey);
  });
});
