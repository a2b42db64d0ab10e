import { createHash, randomBytes } from 'node:crypto';
import { ApiKeyBody, type ApiKeyRecord } from '../../schema/admin.ts';
import { AdminError } from '../errors.ts';
import { mutate, readDocument } from '../mutate.ts';
import { param, type AdminRouter } from '../router.ts';
import type { AdminRouteDeps } from './shared.ts';
import { etag } from '../document.ts';

/** A key record without its hash, as the API shows it. */
function publicView(k: ApiKeyRecord): Omit<ApiKeyRecord, 'hash'> {
  const { hash: _hash, ...rest } = k;
  return rest;
}

/** Data-plane API keys: created (the key is shown once), listed (never the key), revoked. */
export function apiKeyRoutes(router: AdminRouter, deps: AdminRouteDeps): void {
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
    summary: 'Create a data-plane key; the answer holds the key, shown this once only',
    body: ApiKeyBody,
    success: 201,
    handler: async (c, body) => {
      const key = `gwk_${randomBytes(24).toString('base64url')}`;
      const record: ApiKeyRecord = {
        id: `key-${randomBytes(6).toString('hex')}`,
        name: body.name,
        hash: createHash('sha256').update(key).digest('hex'),
        prefix: key.slice(0, 8),
        createdAt: deps.now(),
        revokedAt: null,
      };
      const resource = `api-keys/${record.id}`;
      const result = await mutate(deps.store, { actor: c.var.actor, ifMatch: undefined, resource, now: deps.now }, (draft) => {
        draft.apiKeys.push(record);
        return { action: 'create', resource, before: null, after: publicView(record) };
      });
      if (result.resourceVersion !== undefined) c.header('ETag', etag(result.resourceVersion));
      return c.json({ ...publicView(record), key }, 201);
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
