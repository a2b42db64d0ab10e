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
