import type { AuditEntry, ConfigDocument } from '../../schema/admin.ts';
import {
  auditBounds,
  fail,
  logBounds,
  ok,
  type AuditInput,
  type ConfigStoreWithRecords,
  type ControllerRecords,
  type StoreResult,
  type StoredDocument,
} from './interface.ts';

/** A config store in this process's memory (tests, single-process demos). Documents are copied in and out. */
export function memoryConfigStore(): ConfigStoreWithRecords {
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
    return ok(
      log
        .filter((e) => e.version > after)
        .slice(0, limit)
        .map((e) => structuredClone(e)),
    );
  }

  return { version, read, commit, audit, ...memoryControllerRecords(), close: async () => {} };
}

/** Controller records in memory: leases, compare-and-set records and logs, copied in and out as JSON. */
export function memoryControllerRecords(): ControllerRecords {
  const leases = new Map<string, { holder: string; expiresAt: number }>();
  const records = new Map<string, { revision: number; json: string }>();
  const logs = new Map<string, string[]>();
  return {
    acquireLease: async (name, holder, ttlMs, now) => {
      const current = leases.get(name);
      if (current && current.holder !== holder && current.expiresAt > now) return ok({ held: false, ...current });
      const next = { holder, expiresAt: now + ttlMs };
      leases.set(name, next);
      return ok({ held: true, ...next });
    },
    releaseLease: async (name, holder) => {
      if (leases.get(name)?.holder !== holder) return ok(false);
      leases.delete(name);
      return ok(true);
    },
    getRecord: async (key) => {
      const r = records.get(key);
      return ok(r ? { revision: r.revision, value: JSON.parse(r.json) as unknown } : null);
    },
    putRecord: async (key, value, expectedRevision) => {
      const current = records.get(key)?.revision ?? 0;
      if (current !== expectedRevision) return fail('conflict', `record ${key} is at revision ${current}, not ${expectedRevision}`);
      records.set(key, { revision: current + 1, json: JSON.stringify(value) });
      return ok(current + 1);
    },
    appendLog: async (key, entry) => {
      const log = logs.get(key) ?? [];
      log.push(JSON.stringify(entry));
      logs.set(key, log);
      return ok(log.length);
    },
    readLog: async (key, query) => {
      const { after, limit } = logBounds(query);
      const log = logs.get(key) ?? [];
      return ok(log.slice(after, after + limit).map((json, i) => ({ seq: after + i + 1, entry: JSON.parse(json) as unknown })));
    },
  };
}
