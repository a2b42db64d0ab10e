import type { AuditEntry, ConfigDocument } from '../../schema/admin.ts';

/** An expected failure of a config store: the backend could not be reached, or a version check failed. */
export interface StoreError {
  kind: 'unavailable' | 'conflict';
  message: string;
}

/** Outcome of a store call; expected failures come back as values, never as exceptions. */
export type StoreResult<T> = { ok: true; value: T } | { ok: false; error: StoreError };

/** The stored configuration document with the global version it was written at. */
export interface StoredDocument {
  version: number;
  document: ConfigDocument;
}

/** What a commit records in the audit log; the store adds the version. */
export type AuditInput = Omit<AuditEntry, 'version'>;

/**
 * Versioned storage of the whole routing configuration (with the hashed data-plane keys) and its
 * audit log. Every commit moves a monotonic global version by one; readers poll `version()`.
 */
export interface ConfigStore {
  /** The global version; 0 while nothing was ever committed. */
  version(): Promise<StoreResult<number>>;
  /** The current document, or null while the store is empty. */
  read(): Promise<StoreResult<StoredDocument | null>>;
  /**
   * Writes `document` as version `expectedVersion + 1` and appends `audit`, only if the store is still at
   * `expectedVersion`; otherwise a `conflict` and nothing changes. Returns the new version.
   */
  commit(expectedVersion: number, document: ConfigDocument, audit: AuditInput): Promise<StoreResult<number>>;
  /** Audit entries with a version above `after`, oldest first, at most `limit` of them. */
  audit(query?: { after?: number; limit?: number }): Promise<StoreResult<AuditEntry[]>>;
  close(): Promise<void>;
}

/** A named lease: who holds it and until when (epoch ms). `held` tells whether the asking holder has it. */
export interface Lease {
  held: boolean;
  holder: string | null;
  expiresAt: number;
}

/** A JSON record with its revision (1 after the first write). */
export interface StoredRecord {
  revision: number;
  value: unknown;
}

/** One entry of an append-only log, with its sequence number in that log (1, 2, ...). */
export interface LogEntry {
  seq: number;
  entry: unknown;
}

/**
 * Records of controllers that run beside the configuration (the canary controller): a lease so that one
 * replica acts at a time, JSON records updated by compare-and-set, and append-only logs. They live in their
 * own keys or tables: writing them never moves the configuration's version.
 */
export interface ControllerRecords {
  /**
   * Takes the lease `name` for `holder` until `now + ttlMs` when it is free, expired (expiry <= now) or
   * already held by `holder` (a renewal); otherwise reports the other holder. Atomic in every backend.
   */
  acquireLease(name: string, holder: string, ttlMs: number, now: number): Promise<StoreResult<Lease>>;
  /** Gives the lease up when `holder` has it; true when it was released. */
  releaseLease(name: string, holder: string): Promise<StoreResult<boolean>>;
  /** The record at `key`, or null when there is none. */
  getRecord(key: string): Promise<StoreResult<StoredRecord | null>>;
  /**
   * Writes the record when its revision is still `expectedRevision` (0: it must not exist yet); otherwise a
   * `conflict`. Returns the new revision.
   */
  putRecord(key: string, value: unknown, expectedRevision: number): Promise<StoreResult<number>>;
  /** Appends to the log `key`; returns the entry's sequence number. */
  appendLog(key: string, entry: unknown): Promise<StoreResult<number>>;
  /** Entries of log `key` with a sequence number above `after`, oldest first, at most `limit` (default 1,000). */
  readLog(key: string, query?: { after?: number; limit?: number }): Promise<StoreResult<LogEntry[]>>;
}

/** A config store that also keeps controller records (every bundled adapter). */
export type ConfigStoreWithRecords = ConfigStore & ControllerRecords;

/** Whether a config store also keeps controller records. */
export function hasControllerRecords(store: ConfigStore): store is ConfigStoreWithRecords {
  return typeof (store as Partial<ControllerRecords>).acquireLease === 'function';
}

/** Clamps a log query to sane bounds. */
export function logBounds(query: { after?: number; limit?: number } = {}): { after: number; limit: number } {
  const limit = Math.min(Math.max(1, Math.floor(query.limit ?? 1000)), 10_000);
  return { after: Math.max(0, Math.floor(query.after ?? 0)), limit };
}

/** Wraps a value as a successful result. */
export function ok<T>(value: T): StoreResult<T> {
  return { ok: true, value };
}

/** A failed result of the given kind. */
export function fail<T>(kind: StoreError['kind'], message: string): StoreResult<T> {
  return { ok: false, error: { kind, message } };
}

/** An `unavailable` result from a thrown error (network, timeouts, a closed database). */
export function unavailable<T>(err: unknown): StoreResult<T> {
  return fail('unavailable', err instanceof Error ? err.message : String(err));
}

/** The default and largest page of audit entries. */
export const AUDIT_PAGE = { default: 100, max: 1000 } as const;

/** Clamps an audit query to sane bounds. */
export function auditBounds(query: { after?: number; limit?: number } = {}): { after: number; limit: number } {
  const limit = Math.min(Math.max(1, Math.floor(query.limit ?? AUDIT_PAGE.default)), AUDIT_PAGE.max);
  return { after: Math.max(0, Math.floor(query.after ?? 0)), limit };
}
