import type { ConfigDocument } from '../schema/admin.ts';
import type { ConfigStore, StoredDocument } from '../stores/config/interface.ts';
import { ifMatchAdmits, stampVersions, validateDocument } from './document.ts';
import { AdminError } from './errors.ts';

/** What a change did, for the audit log and the response. */
export interface Change {
  action: string;
  /** `kind/id` of the changed resource. */
  resource: string;
  before: unknown;
  after: unknown;
}

/** Who asks and which version they have seen. */
export interface ChangeRequest {
  actor: string;
  /** The `If-Match` header, checked against the version of `resource`. */
  ifMatch: string | undefined;
  resource: string;
  now: () => number;
}

const ATTEMPTS = 5;

/** Reads the stored document; an unreachable or empty store is an error for the admin API. */
export async function readDocument(store: ConfigStore): Promise<StoredDocument> {
  const read = await store.read();
  if (!read.ok) throw new AdminError('store_unavailable', `config store unavailable: ${read.error.message}`);
  if (!read.value)
    throw new AdminError('store_unavailable', 'the config store is empty: start a gateway once to seed it from its configuration file');
  return read.value;
}

/**
 * Applies `edit` to a copy of the current document, checks `If-Match`, validates the whole result and
 * commits it with the audit entry, only if nobody committed in between (else it starts over). Whatever
 * fails, the store is left as it was.
 */
export async function mutate(
  store: ConfigStore,
  request: ChangeRequest,
  edit: (draft: ConfigDocument) => Change,
): Promise<{ change: Change; version: number; resourceVersion: number | undefined }> {
  for (let attempt = 1; ; attempt++) {
    const current = await readDocument(store);
    const known = current.document.versions[request.resource];
    const draft = structuredClone(current.document);
    const change = edit(draft);
    if (!ifMatchAdmits(request.ifMatch, known)) {
      throw new AdminError(
        'precondition_failed',
        `${request.resource} is at version ${known ?? 'none'}, not ${request.ifMatch}: read it again and retry`,
      );
    }
    const valid = validateDocument(draft);
    const next = current.version + 1;
    const doc: ConfigDocument = { ...valid, versions: stampVersions(current.document, valid, next) };
    const audit = {
      time: request.now(),
      actor: request.actor,
      action: change.action,
      resource: change.resource,
      before: change.before ?? null,
      after: change.after ?? null,
    };
    const committed = await store.commit(current.version, doc, audit);
    if (committed.ok) return { change, version: committed.value, resourceVersion: doc.versions[request.resource] };
    if (committed.error.kind === 'unavailable')
      throw new AdminError('store_unavailable', `config store unavailable: ${committed.error.message}`);
    if (attempt >= ATTEMPTS) throw new AdminError('conflict', 'the configuration kept changing underneath this request: retry');
  }
}

/** Seeds an empty store with a configuration (first start); returns false when it already holds one. */
export async function seedStore(
  store: ConfigStore,
  config: ConfigDocument['config'],
  now: () => number,
): Promise<{ ok: true; seeded: boolean } | { ok: false; message: string }> {
  const version = await store.version();
  if (!version.ok) return { ok: false, message: version.error.message };
  if (version.value > 0) return { ok: true, seeded: false };
  const base: ConfigDocument = { config, versions: {}, apiKeys: [] };
  const doc = { ...base, versions: stampVersions(null, base, 1) };
  const committed = await store.commit(0, doc, {
    time: now(),
    actor: 'system',
    action: 'seed',
    resource: 'config',
    before: null,
    after: config,
  });
  if (committed.ok) return { ok: true, seeded: true };
  if (committed.error.kind === 'conflict') return { ok: true, seeded: false };
  return { ok: false, message: committed.error.message };
}
