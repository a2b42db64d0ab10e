import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { AuditEntry, ConfigDocument } from '../../schema/admin.ts';
import { auditBounds, fail, ok, unavailable, type AuditInput, type ConfigStore, type StoreResult, type StoredDocument } from './interface.ts';

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
  );`;

/** The embedded config store: one SQLite file shared by the processes of one machine (WAL mode). */
export function sqliteConfigStore(options: SqliteConfigStoreOptions): ConfigStore {
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

  function guarded<T>(fn: () => StoreResult<T>): Promise<StoreResult<T>> {
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.resolve(unavailable(err));
    }
  }

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
    close: async () => {
      if (db.open) db.close();
    },
  };
}
