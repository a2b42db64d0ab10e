import type { AuditEntry, ConfigDocument } from '../../schema/admin.ts';
import { auditBounds, fail, ok, type AuditInput, type ConfigStore, type StoreResult, type StoredDocument } from './interface.ts';

/** A config store in this process's memory (tests, single-process demos). Documents are copied in and out. */
export function memoryConfigStore(): ConfigStore {
  let stored: { version: number; json: string } | null = null;
  const log: AuditEntry[] = [];

  async function version(): Promise<StoreResult<number>> {
    return ok(stored?.version ?? 0);
  }

  async function read(): Promise<StoreResult<StoredDocument | null>> {
    return ok(stored ? { version: stored.version, document: JSON.parse(stored.json) as ConfigDocument } : null);
  }

  async function commit(expectedVersion: number, document: ConfigDocument, audit: AuditInput): Promise<StoreResult<number>> {
    const current = stored?.version ?? 0;
    if (current !== expectedVersion) return fail('conflict', `store is at version ${current}, not ${expectedVersion}`);
    const next = current + 1;
    stored = { version: next, json: JSON.stringify(document) };
    log.push(structuredClone({ ...audit, version: next }));
    return ok(next);
  }

  async function audit(query?: { after?: number; limit?: number }): Promise<StoreResult<AuditEntry[]>> {
    const { after, limit } = auditBounds(query);
    return ok(log.filter((e) => e.version > after).slice(0, limit).map((e) => structuredClone(e)));
  }

  return { version, read, commit, audit, close: async () => {} };
}
