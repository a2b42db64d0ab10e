/**
 * Worker-thread entry of `sqliteThreadRecordStore`: writes record batches (the transaction of `sqliteRecordStore`) and
 * shadowed pairs (the insert of `sqliteShadowAnswers`) with its own SQLite connection, so the insert's CPU and disk time
 * never runs on the gateway's event loop. Requests are answered one at a time in arrival order; `close` is answered by
 * closing the connection and exiting.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import type { ShadowAnswer } from '../shadow-answers/interface.ts';
import { sqliteShadowAnswers } from '../shadow-answers/sqlite.ts';
import { openDatabase } from '../sqlite/database.ts';
import type { RecordBatch } from './interface.ts';
import { sqliteRecordStore } from './sqlite.ts';

/** What the store asks of its worker; the answer carries the same id. */
export type StoreRequest =
  | { id: number; op: 'write'; batch: RecordBatch }
  | { id: number; op: 'shadow-answer'; answer: ShadowAnswer }
  | { id: number; op: 'probe' }
  | { id: number; op: 'close' }
  // Ends the thread at once with exit code 1, leaving every later request unanswered, as a crash between two
  // requests would (tests use it: `Worker.terminate()` inside a statement aborts the process on Node 22).
  | { id: number; op: 'exit' };

/** The answer to a write or probe: null when it committed (or would), else why it failed. */
export interface StoreReply {
  id: number;
  error: string | null;
}

/** What the worker is started with. */
export interface StoreWorkerData {
  path: string;
  busyTimeoutMs: number;
}

const { path, busyTimeoutMs } = workerData as StoreWorkerData;
// The schema is brought up to date here too, so the store works on a new file; the gateway opens the file (and runs
// the migrations) on its own connection before the first write reaches the worker.
const db = open();
const store = sqliteRecordStore(db);
// A pair that cannot be inserted goes back in the answer: the parent drops and reports it.
const shadowAnswers = sqliteShadowAnswers(db, (err) => {
  throw err;
});

/** The connection; a file it cannot open fails the worker with a plain Error, as a SqliteError reaches the parent without its message. */
function open(): Database.Database {
  try {
    return openDatabase(path, { busyTimeoutMs });
  } catch (err) {
    throw new Error(`cannot open ${path}: ${(err as Error).message}`);
  }
}

parentPort!.on('message', (request: StoreRequest) => {
  if (request.op === 'exit') process.exit(1);
  if (request.op === 'close') {
    db.close();
    parentPort!.close();
    return;
  }
  let error: string | null = null;
  try {
    if (request.op === 'write') store.write(request.batch);
    else if (request.op === 'shadow-answer') shadowAnswers.record(request.answer);
    else store.probe();
  } catch (err) {
    error = (err as Error).message;
  }
  parentPort!.postMessage({ id: request.id, error } satisfies StoreReply);
});
