import type Database from 'better-sqlite3';
import type { ShadowAnswer, ShadowAnswerSink, ShadowAnswerSource } from './interface.ts';
import { sqliteShadowAnswerSource } from './sqlite.ts';

/** The part of the SQLite writer thread (`sqliteThreadRecordStore`) this adapter uses. */
export interface ShadowAnswerWriter {
  writeShadowAnswer(answer: ShadowAnswer): Promise<void>;
}

/**
 * Shadowed pairs inserted by the SQLite writer thread and read on the process's own connection `db`, so no insert
 * runs on the event loop or waits there for the write lock. `record` only posts the pair; one the worker could not
 * insert (locked, disk full), or that a stopped or closed worker never answered, is dropped and reported to `onDrop`,
 * as in `sqliteShadowAnswers`. A pair is visible to `list` once the worker has committed it.
 */
export function sqliteThreadShadowAnswers(
  writer: ShadowAnswerWriter,
  db: Database.Database,
  onDrop: (error: Error) => void = () => {},
): ShadowAnswerSink & ShadowAnswerSource {
  return {
    record(answer: ShadowAnswer): void {
      writer.writeShadowAnswer(answer).catch(onDrop);
    },
    ...sqliteShadowAnswerSource(db),
  };
}
