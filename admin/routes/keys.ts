import { createHash, randomBytes } from 'node:crypto';
import { sealSecret } from '../../lib/secret-box.ts';
import { ApiKeyBody, type ApiKeyRecord } from '../../schema/admin.ts';
import { AdminError } from '../errors.ts';
import { mutate, readDocument } from '../mutate.ts';
import { param, type AdminRouter } from '../router.ts';
import type { AdminRouteDeps } from './shared.ts';
import { etag } from '../document.ts';

/** A key record without its hash or sealed secret, as the API (and the audit log) shows it. */
function publicView(k: ApiKeyRecord): Record<string, unknown> {
  if (k.kind === 'sigv4') {
    const { sealedSecret: _sealed, ...rest } = k;
    return rest;
  }
  const { hash: _hash, ...rest } = k;
  return rest;
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** `GWKA` and 16 random base32 characters: shaped like an AWS access key id, never one of AWS's own prefixes. */
function newAccessKeyId(): string {
  return `GWKA${Array.from(randomBytes(16), (b) => BASE32[b & 31]).join('')}`;
}

/** What key creation needs beyond the store: the key that seals SigV4 secrets (no SigV4 keys without it). */
export interface ApiKeyRouteOptions {
  secretKey?: CryptoKey;
}

interface NewKey {
  record: ApiKeyRecord;
  /** Shown in the creation answer only. */
  shownOnce: Record<string, string>;
}

async function newKey(kind: 'bearer' | 'sigv4', name: string, now: number, secretKey: CryptoKey | undefined): Promise<NewKey> {
  const id = `key-${randomBytes(6).toString('hex')}`;
  if (kind === 'bearer') {
    const key = `gwk_${randomBytes(24).toString('base64url')}`;
    const hash = createHash('sha256').update(key).digest('hex');
    return { record: { id, name, kind, hash, prefix: key.slice(0, 8), createdAt: now, revokedAt: null }, shownOnce: { key } };
  }
  if (!secretKey)
    throw new AdminError('invalid_request', 'SigV4 keys are not available: this admin API has no secret key to seal them with');
  const accessKeyId = newAccessKeyId();
  // 40 characters, like an AWS secret access key.
  const secretAccessKey = randomBytes(30).toString('base64');
  const sealedSecret = await sealSecret(secretKey, secretAccessKey, accessKeyId);
  return { record: { id, name, kind, accessKeyId, sealedSecret, createdAt: now, revokedAt: null }, shownOnce: { secretAccessKey } };
}

/**
 * Data-plane keys: created (the bearer key or the SigV4 secret is shown once), listed (never the key or the secret),
 * revoked.
 */
export function apiKeyRoutes(router: AdminRouter, deps: AdminRouteDeps, options: ApiKeyRouteOptions = {}): void {
  router.add({
    method: 'get',
    path: '/api-keys',
    tag: 'api-keys',
    summary: 'List data-plane keys (never the keys themselves)',
    handler: async (c) => {
      const { version, document } = await readDocument(deps.store);
      return c.json({ items: document.apiKeys.map(publicView), version });
    },
  });
  router.add({
    method: 'post',
    path: '/api-keys',
    tag: 'api-keys',
    summary:
      'Create a data-plane key: kind bearer (default) answers `key`; kind sigv4 answers `accessKeyId` and `secretAccessKey`. Shown this once only',
    body: ApiKeyBody,
    success: 201,
    handler: async (c, body) => {
      const { record, shownOnce } = await newKey(body.kind, body.name, deps.now(), options.secretKey);
      const resource = `api-keys/${record.id}`;
      const result = await mutate(deps.store, { actor: c.var.actor, ifMatch: undefined, resource, now: deps.now }, (draft) => {
        draft.apiKeys.push(record);
        return { action: 'create', resource, before: null, after: publicView(record) };
      });
      if (result.resourceVersion !== undefined) c.header('ETag', etag(result.resourceVersion));
      return c.json({ ...publicView(record), ...shownOnce }, 201);
    },
  });
  router.add({
    method: 'delete',
    path: '/api-keys/:id',
    tag: 'api-keys',
    summary: 'Revoke a data-plane key (at once on every gateway that polls the store)',
    handler: async (c) => {
      const id = param(c, 'id');
      const resource = `api-keys/${id}`;
      const result = await mutate(
        deps.store,
        { actor: c.var.actor, ifMatch: c.req.header('if-match'), resource, now: deps.now },
        (draft) => {
          const record = draft.apiKeys.find((k) => k.id === id);
          if (!record) throw new AdminError('not_found', `no API key "${id}"`);
          const before = publicView(record);
          record.revokedAt ??= deps.now();
          return { action: 'revoke', resource, before, after: publicView(record) };
        },
      );
      if (result.resourceVersion !== undefined) c.header('ETag', etag(result.resourceVersion));
      return c.json(result.change.after as object);
    },
  });
}
