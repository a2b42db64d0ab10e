import type { Context } from 'hono';
import type { ConfigStore } from '../../stores/config/interface.ts';
import { etag } from '../document.ts';
import { mutate, type Change } from '../mutate.ts';
import type { AdminEnv } from '../router.ts';
import type { ConfigDocument } from '../../schema/admin.ts';

/** Services the admin routes use. */
export interface AdminRouteDeps {
  store: ConfigStore;
  /** Epoch milliseconds. */
  now: () => number;
}

/** Runs a change for the request's actor and If-Match, and answers with the resource after it and its ETag. */
export async function change(
  deps: AdminRouteDeps,
  c: Context<AdminEnv>,
  resource: string,
  edit: (draft: ConfigDocument) => Change,
  status: 200 | 201 = 200,
): Promise<Response> {
  const result = await mutate(deps.store, { actor: c.var.actor, ifMatch: c.req.header('if-match'), resource, now: deps.now }, edit);
  if (result.resourceVersion !== undefined) c.header('ETag', etag(result.resourceVersion));
  c.header('x-config-version', String(result.version));
  const after = result.change.after;
  return c.json(after === null || after === undefined ? { deleted: resource } : (after as object), status);
}

/** Answers one resource with its ETag. */
export function single(c: Context<AdminEnv>, doc: ConfigDocument, resource: string, value: unknown): Response {
  const version = doc.versions[resource];
  if (version !== undefined) c.header('ETag', etag(version));
  return c.json(value as object);
}
