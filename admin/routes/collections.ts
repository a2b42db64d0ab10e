import type { z } from 'zod';
import type { ConfigDocument } from '../../schema/admin.ts';
import type { GatewayConfig } from '../../schema/config.ts';
import { AdminError } from '../errors.ts';
import { readDocument } from '../mutate.ts';
import { param, type AdminRouter } from '../router.ts';
import { change, single, type AdminRouteDeps } from './shared.ts';

type Item = Record<string, unknown>;
type ListKind = 'configs' | 'routes' | 'experiments' | 'canaries';

/** A list-shaped part of the configuration whose items are named by one field. */
export interface ListCollection {
  kind: ListKind;
  key: 'id' | 'name';
  noun: string;
  schema: z.ZodType;
}

function itemsOf(config: GatewayConfig, kind: ListKind): Item[] {
  return config[kind] as unknown as Item[];
}

/** The item named `id`, or a 404. */
export function findItem(doc: ConfigDocument, col: Pick<ListCollection, 'kind' | 'key' | 'noun'>, id: string): Item {
  const item = itemsOf(doc.config, col.kind).find((x) => x[col.key] === id);
  if (!item) throw new AdminError('not_found', `no ${col.noun} "${id}"`);
  return item;
}

/** What refers to a model configuration, for a clear 409 when deleting one that is in use. */
function usersOfConfig(config: GatewayConfig, id: string): string[] {
  const users: string[] = [];
  for (const c of config.configs) if (c.fallbacks?.includes(id)) users.push(`configs/${c.id} (fallbacks)`);
  for (const r of config.routes) {
    const shadows = Object.values(r.shadow ?? {}).map((s) => s.config);
    if (r.default === id || Object.values(r.table).includes(id) || shadows.includes(id)) users.push(`routes/${r.name}`);
  }
  for (const e of config.experiments) if (e.control === id || e.treatment === id) users.push(`experiments/${e.id}`);
  for (const k of config.canaries) if (k.baseline === id || k.candidate === id) users.push(`canaries/${k.id}`);
  return users;
}

/** List, read, create, replace and delete over one list-shaped collection. */
export function listCollectionRoutes(router: AdminRouter, deps: AdminRouteDeps, col: ListCollection): void {
  const tag = col.kind;
  router.add({
    method: 'get',
    path: `/${col.kind}`,
    tag,
    summary: `List ${col.kind}`,
    handler: async (c) => {
      const { version, document } = await readDocument(deps.store);
      return c.json({ items: itemsOf(document.config, col.kind), version });
    },
  });
  router.add({
    method: 'get',
    path: `/${col.kind}/:id`,
    tag,
    summary: `Read one ${col.noun} (ETag: its version)`,
    handler: async (c) => {
      const { document } = await readDocument(deps.store);
      const id = param(c, 'id');
      return single(c, document, `${col.kind}/${id}`, findItem(document, col, id));
    },
  });
  router.add({
    method: 'post',
    path: `/${col.kind}`,
    tag,
    summary: `Create a ${col.noun}`,
    body: col.schema,
    success: 201,
    handler: (c, body) => {
      const item = body as Item;
      const id = String(item[col.key]);
      return change(
        deps,
        c,
        `${col.kind}/${id}`,
        (draft) => {
          const items = itemsOf(draft.config, col.kind);
          if (items.some((x) => x[col.key] === id)) throw new AdminError('conflict', `${col.noun} "${id}" exists already`);
          items.push(item);
          return { action: 'create', resource: `${col.kind}/${id}`, before: null, after: item };
        },
        201,
      );
    },
  });
  router.add({
    method: 'put',
    path: `/${col.kind}/:id`,
    tag,
    summary: `Replace a ${col.noun}`,
    body: col.schema,
    handler: (c, body) => {
      const item = body as Item;
      const id = param(c, 'id');
      if (item[col.key] !== id)
        throw new AdminError('invalid_request', `${col.key} in the body ("${String(item[col.key])}") differs from the path ("${id}")`, [
          { path: col.key, message: 'must equal the id in the path' },
        ]);
      return change(deps, c, `${col.kind}/${id}`, (draft) => {
        const before = findItem(draft, col, id);
        const items = itemsOf(draft.config, col.kind);
        items[items.indexOf(before)] = item;
        return { action: 'replace', resource: `${col.kind}/${id}`, before, after: item };
      });
    },
  });
  router.add({
    method: 'delete',
    path: `/${col.kind}/:id`,
    tag,
    summary: `Delete a ${col.noun}`,
    handler: (c) => {
      const id = param(c, 'id');
      return change(deps, c, `${col.kind}/${id}`, (draft) => {
        const before = findItem(draft, col, id);
        if (col.kind === 'configs') {
          const users = usersOfConfig(draft.config, id);
          if (users.length) throw new AdminError('conflict', `configuration "${id}" is in use by ${users.join(', ')}`);
        }
        const items = itemsOf(draft.config, col.kind);
        items.splice(items.indexOf(before), 1);
        return { action: 'delete', resource: `${col.kind}/${id}`, before, after: null };
      });
    },
  });
}

/** A map-shaped part of the configuration (pricing, system prompts). */
export interface MapCollection<S extends z.ZodType> {
  kind: 'pricing' | 'system-prompts';
  noun: string;
  body: S;
  /** The stored value of a body, and the body of a stored value. */
  toValue: (body: z.output<S>) => unknown;
  toBody: (value: unknown) => unknown;
  /** Existing entries may not be overwritten with something else (system prompt versions). */
  immutable?: boolean;
}

function mapOf(config: GatewayConfig, kind: MapCollection<z.ZodType>['kind']): Record<string, unknown> {
  return kind === 'pricing' ? config.pricing : config.systemPrompts;
}

/** List, read, upsert and delete over a keyed map. */
export function mapCollectionRoutes<S extends z.ZodType>(router: AdminRouter, deps: AdminRouteDeps, col: MapCollection<S>): void {
  const tag = col.kind;
  router.add({
    method: 'get',
    path: `/${col.kind}`,
    tag,
    summary: `List ${col.kind}`,
    handler: async (c) => {
      const { version, document } = await readDocument(deps.store);
      const map = mapOf(document.config, col.kind);
      return c.json({ items: Object.fromEntries(Object.entries(map).map(([k, v]) => [k, col.toBody(v)])), version });
    },
  });
  router.add({
    method: 'get',
    path: `/${col.kind}/:key`,
    tag,
    summary: `Read one ${col.noun}`,
    handler: async (c) => {
      const { document } = await readDocument(deps.store);
      const key = param(c, 'key');
      const value = mapOf(document.config, col.kind)[key];
      if (value === undefined) throw new AdminError('not_found', `no ${col.noun} "${key}"`);
      return single(c, document, `${col.kind}/${key}`, col.toBody(value));
    },
  });
  router.add({
    method: 'put',
    path: `/${col.kind}/:key`,
    tag,
    summary: `Create or replace a ${col.noun}`,
    body: col.body,
    handler: (c, body) => {
      const key = param(c, 'key');
      const value = col.toValue(body as z.output<S>);
      let created = false;
      return change(deps, c, `${col.kind}/${key}`, (draft) => {
        const map = mapOf(draft.config, col.kind);
        const before = map[key];
        created = before === undefined;
        if (!created && col.immutable && JSON.stringify(before) !== JSON.stringify(value)) {
          throw new AdminError('conflict', `${col.noun} "${key}" exists with other content; versions never change: add a new one`);
        }
        map[key] = value;
        return {
          action: created ? 'create' : 'replace',
          resource: `${col.kind}/${key}`,
          before: before === undefined ? null : col.toBody(before),
          after: col.toBody(value),
        };
      }).then((res) => (created ? new Response(res.body, { status: 201, headers: res.headers }) : res));
    },
  });
  router.add({
    method: 'delete',
    path: `/${col.kind}/:key`,
    tag,
    summary: `Delete a ${col.noun} (409 while a configuration uses it)`,
    handler: (c) => {
      const key = param(c, 'key');
      return change(deps, c, `${col.kind}/${key}`, (draft) => {
        const map = mapOf(draft.config, col.kind);
        const before = map[key];
        if (before === undefined) throw new AdminError('not_found', `no ${col.noun} "${key}"`);
        delete map[key];
        return { action: 'delete', resource: `${col.kind}/${key}`, before: col.toBody(before), after: null };
      });
    },
  });
}
