import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { AuditEntry, ConfigDocument } from '../../schema/admin.ts';
import {
  auditBounds,
  fail,
  logBounds,
  ok,
  unavailable,
  type AuditInput,
  type ConfigStoreWithRecords,
  type ControllerRecords,
  type Lease,
  type StoreResult,
  type StoredDocument,
  type StoredRecord,
} from './interface.ts';

/** Options of the SQLite config store. */
export interface SqliteConfigStoreOptions {
  /** Database file, e.g. `$DATA_DIR/config.db`; `:memory:` for a private in-memory database. */
  path: string;
  /** How long a write waits for another process's lock. */
  busyTimeoutMs?: number;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS config_document (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL,
    document TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS config_audit (
    version INTEGER PRIMARY KEY,
    entry TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS controller_lease (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS controller_record (
    key TEXT PRIMARY KEY,
    revision INTEGER NOT NULL,
    value TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS controller_log (
    key TEXT NOT NULL,
    seq INTEGER NOT NULL,
    entry TEXT NOT NULL,
    PRIMARY KEY (key, seq)
  );`;

/** The embedded config store: one SQLite file shared by the processes of one machine (WAL mode). */
export function sqliteConfigStore(options: SqliteConfigStoreOptions): ConfigStoreWithRecords {
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
  const db = new Database(options.path, { timeout: options.busyTimeoutMs ?? 1_000 });
  db.pragma('journal_mode = WAL');
  db.exec(SCHEMA);
  const selectVersion = db.prepare('SELECT version FROM config_document WHERE id = 1').pluck();
  const selectDocument = db.prepare('SELECT version, document FROM config_document WHERE id = 1');
  const upsert = db.prepare(`INSERT INTO config_document (id, version, document) VALUES (1, @version, @document)
    ON CONFLICT (id) DO UPDATE SET version = excluded.version, document = excluded.document`);
  const insertAudit = db.prepare('INSERT INTO config_audit (version, entry) VALUES (?, ?)');
  const selectAudit = db.prepare('SELECT entry FROM config_audit WHERE version > ? ORDER BY version LIMIT ?').pluck();
  const commitTx = db.transaction((expected: number, document: string, audit: AuditInput): StoreResult<number> => {
    const current = (selectVersion.get() as number | undefined) ?? 0;
    if (current !== expected) return fail('conflict', `store is at version ${current}, not ${expected}`);
    const next = current + 1;
    upsert.run({ version: next, document });
    insertAudit.run(next, JSON.stringify({ ...audit, version: next }));
    return ok(next);
  });

  return {
    version: () => guarded(() => ok((selectVersion.get() as number | undefined) ?? 0)),
    read: () =>
      guarded(() => {
        const row = selectDocument.get() as { version: number; document: string } | undefined;
        return ok<StoredDocument | null>(row ? { version: row.version, document: JSON.parse(row.document) as ConfigDocument } : null);
      }),
    commit: (expected, document, audit) => guarded(() => commitTx.immediate(expected, JSON.stringify(document), audit)),
    audit: (query) =>
      guarded(() => {
        const { after, limit } = auditBounds(query);
        return ok((selectAudit.all(after, limit) as string[]).map((e) => JSON.parse(e) as AuditEntry));
      }),
    ...sqliteControllerRecords(db),
    close: async () => {
      if (db.open) db.close();
    },
  };
}

function guarded<T>(fn: () => StoreResult<T>): Promise<StoreResult<T>> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.resolve(unavailable(err));
  }
}

/** Controller records in the config database's own tables; each change is one immediate transaction. */
function sqliteControllerRecords(db: Database.Database): ControllerRecords {
  const selectLease = db.prepare('SELECT holder, expires_at AS expiresAt FROM controller_lease WHERE name = ?');
  const upsertLease = db.prepare(`INSERT INTO controller_lease (name, holder, expires_at) VALUES (?, ?, ?)
    ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at`);
  const deleteLease = db.prepare('DELETE FROM controller_lease WHERE name = ? AND holder = ?');
  const selectRecord = db.prepare('SELECT revision, value FROM controller_record WHERE key = ?');
  const upsertRecord = db.prepare(`INSERT INTO controller_record (key, revision, value) VALUES (?, ?, ?)
    ON CONFLICT (key) DO UPDATE SET revision = excluded.revision, value = excluded.value`);
  const lastSeq = db.prepare('SELECT MAX(seq) FROM controller_log WHERE key = ?').pluck();
  const insertLog = db.prepare('INSERT INTO controller_log (key, seq, entry) VALUES (?, ?, ?)');
  const selectLog = db.prepare('SELECT seq, entry FROM controller_log WHERE key = ? AND seq > ? ORDER BY seq LIMIT ?');
  const acquireTx = db.transaction((name: string, holder: string, ttlMs: number, now: number): StoreResult<Lease> => {
    const current = selectLease.get(name) as { holder: string; expiresAt: number } | undefined;
    if (current && current.holder !== holder && current.expiresAt > now) return ok({ held: false, ...current });
    upsertLease.run(name, holder, now + ttlMs);
    return ok({ held: true, holder, expiresAt: now + ttlMs });
  });
  const putTx = db.transaction((key: string, json: string, expected: number): StoreResult<number> => {
    const current = (selectRecord.get(key) as { revision: number } | undefined)?.revision ?? 0;
    if (current !== expected) return fail('conflict', `record ${key} is at revision ${current}, not ${expected}`);
    upsertRecord.run(key, current + 1, json);
    return ok(current + 1);
  });
  const appendTx = db.transaction((key: string, json: string): StoreResult<number> => {
    const seq = ((lastSeq.get(key) as number | null) ?? 0) + 1;
    insertLog.run(key, seq, json);
    return ok(seq);
  });
  return {
    acquireLease: (name, holder, ttlMs, now) => guarded(() => acquireTx.immediate(name, holder, ttlMs, now)),
    releaseLease: (name, holder) => guarded(() => ok(deleteLease.run(name, holder).changes > 0)),
    getRecord: (key) =>
      guarded(() => {
        const row = selectRecord.get(key) as { revision: number; value: string } | undefined;
        return ok<StoredRecord | null>(row ? { revision: row.revision, value: JSON.parse(row.value) as unknown } : null);
      }),
    putRecord: (key, value, expected) => guarded(() => putTx.immediate(key, JSON.stringify(value), expected)),
    appendLog: (key, entry) => guarded(() => appendTx.immediate(key, JSON.stringify(entry))),
    readLog: (key, query) =>
      guarded(() => {
        const { after, limit } = logBounds(query);
        const rows = selectLog.all(key, after, limit) as { seq: number; entry: string }[];
        return ok(rows.map((r) => ({ seq: r.seq, entry: JSON.parse(r.entry) as unknown })));
      }),
  };
}
