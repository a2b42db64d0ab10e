import { ConfigDocument } from '../schema/admin.ts';
import { GatewayConfig } from '../schema/config.ts';
import { AdminError, fieldIssues, summarise } from './errors.ts';

/** Every resource of a document as `kind/id` -> its JSON, to compare two documents resource by resource. */
export function resourcesOf(doc: ConfigDocument): Map<string, string> {
  const out = new Map<string, string>();
  const c = doc.config;
  for (const x of c.configs) out.set(`configs/${x.id}`, JSON.stringify(x));
  for (const x of c.routes) out.set(`routes/${x.name}`, JSON.stringify(x));
  for (const x of c.experiments) out.set(`experiments/${x.id}`, JSON.stringify(x));
  for (const x of c.canaries) out.set(`canaries/${x.id}`, JSON.stringify(x));
  for (const [k, v] of Object.entries(c.pricing)) out.set(`pricing/${k}`, JSON.stringify(v));
  for (const [k, v] of Object.entries(c.systemPrompts)) out.set(`system-prompts/${k}`, JSON.stringify(v));
  for (const k of doc.apiKeys) out.set(`api-keys/${k.id}`, JSON.stringify(k));
  return out;
}

/** Resource versions after a change: changed or new resources get `version`, others keep theirs. */
export function stampVersions(before: ConfigDocument | null, after: ConfigDocument, version: number): Record<string, number> {
  const old = before ? resourcesOf(before) : new Map<string, string>();
  const versions: Record<string, number> = {};
  for (const [key, json] of resourcesOf(after)) {
    const kept = before?.versions[key];
    versions[key] = old.get(key) === json && kept !== undefined ? kept : version;
  }
  return versions;
}

/** The ETag of a version. */
export function etag(version: number): string {
  return `"${version}"`;
}

/** Whether an `If-Match` header value admits the given version (absent header: always). */
export function ifMatchAdmits(header: string | undefined, version: number | undefined): boolean {
  if (header === undefined) return true;
  const tags = header.split(',').map((t) => t.trim().replace(/^W\//, ''));
  if (tags.includes('*')) return version !== undefined;
  return version !== undefined && tags.includes(etag(version));
}

/**
 * Checks the whole resulting configuration (references, duplicates, prices, one running experiment and
 * canary per route and intent). A failure is a conflict with the state, reported field by field.
 */
export function validateDocument(doc: ConfigDocument): ConfigDocument {
  const config = GatewayConfig.safeParse(doc.config);
  if (!config.success) {
    const issues = fieldIssues(config.error, 'config');
    throw new AdminError('conflict', summarise('the change would leave an invalid configuration', issues), issues);
  }
  return { ...doc, config: config.data };
}

/** Parses a document read from the store (it was validated when written). */
export function parseStoredDocument(raw: unknown): ConfigDocument {
  return ConfigDocument.parse(raw);
}
