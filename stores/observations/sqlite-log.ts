import type Database from 'better-sqlite3';
import type { LoggedFeedback, LoggedObservation, LogRead, ObservationLog } from './interface.ts';
import { nextCursor, seqCursor, windowKey, windowStatement } from './log-query.ts';
import { feedbackOfRow, observationOfRow, sqliteRecordStore } from './sqlite.ts';

type Row = Record<string, unknown>;

function attempt<T>(fn: () => LogRead<T>): Promise<LogRead<T>> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.resolve({ ok: false, error: (error as Error).message });
  }
}

/**
 * The observation log on the embedded SQLite database (one node): the SQLite record store plus reads in `seq` order
 * (SQLite's single writer commits rows in `seq` order) and window reads on the `time` index.
 */
export function sqliteObservationLog(db: Database.Database, options: { close?: boolean } = {}): ObservationLog {
  const store = sqliteRecordStore(db);
  const observations = (rows: Row[]): LoggedObservation[] => rows.map((r) => ({ ...observationOfRow(r), seq: r.seq as number }));
  const key = (o: { seq: number | null }): string => String(o.seq);
  return {
    ...store,
    kind: 'sqlite',
    ordered: true,
    page: (cursor, limit) =>
      attempt(() => {
        const rows = db.prepare('SELECT * FROM observations WHERE seq > ? ORDER BY seq LIMIT ?').all(seqCursor(cursor), limit) as Row[];
        const items = observations(rows);
        return { ok: true, page: { items, next: nextCursor(items, limit, key) } };
      }),
    feedbackPage: (cursor, limit) =>
      attempt(() => {
        const rows = db.prepare('SELECT * FROM feedback WHERE seq > ? ORDER BY seq LIMIT ?').all(seqCursor(cursor), limit) as Row[];
        const items: LoggedFeedback[] = rows.map((r) => ({ ...feedbackOfRow(r), seq: r.seq as number }));
        return { ok: true, page: { items, next: nextCursor(items, limit, key) } };
      }),
    window: (w, cursor, limit) =>
      attempt(() => {
        const { sql, params } = windowStatement(w, cursor, limit, () => '?');
        const items = observations(db.prepare(sql).all(...params) as Row[]);
        return { ok: true, page: { items, next: nextCursor(items, limit, windowKey) } };
      }),
    close: async () => {
      if (options.close) db.close();
    },
  };
}
