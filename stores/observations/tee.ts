import type { RecordBatch, RecordStore } from './interface.ts';

/**
 * Writes every batch to `primary`, then to `copy` (e.g. the embedded SQLite store and a DynamoDB log). A batch
 * counts as stored only when both took it; otherwise the sink spills it and later replays it to both, which
 * is safe because both stores keep a record once (SQLite skips known ids, DynamoDB rewrites the same item).
 */
export function teeRecordStore(primary: RecordStore, copy: RecordStore): RecordStore {
  return {
    write(batch: RecordBatch) {
      const first = primary.write(batch);
      return first instanceof Promise ? first.then(() => copy.write(batch)) : copy.write(batch);
    },
    probe() {
      const first = primary.probe();
      return first instanceof Promise ? first.then(() => copy.probe()) : copy.probe();
    },
  };
}
