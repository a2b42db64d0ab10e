import type { Worker } from 'node:worker_threads';
import { closeWorker, startTsWorker } from '../../lib/node/ts-worker.ts';
import type { ShadowAnswer } from '../shadow-answers/interface.ts';
import type { RecordBatch, RecordStore } from './interface.ts';
import type { StoreReply, StoreRequest, StoreWorkerData } from './sqlite-thread-worker.ts';

const ENTRY = new URL('./sqlite-thread-worker.ts', import.meta.url);

export interface SqliteThreadStoreOptions {
  /** How long the worker's writes wait for a lock held by another connection before failing (default 1,000 ms). */
  busyTimeoutMs?: number;
  /** Longest `close` waits for the worker to finish its writes before stopping it (default 5,000 ms). */
  closeTimeoutMs?: number;
  /** Told of every worker started (tests stop it mid-write to show that a crash loses nothing). */
  onWorker?: (worker: Worker) => void;
}

/** The SQLite record store in a worker thread; `close` lets the writes under way commit, then stops the worker. */
export interface SqliteThreadRecordStore extends RecordStore {
  write(batch: RecordBatch): Promise<void>;
  /** Inserts a shadowed pair into `shadow_answers` (ignored when its shadow request id is there already). */
  writeShadowAnswer(answer: ShadowAnswer): Promise<void>;
  probe(): Promise<void>;
  close(): Promise<void>;
}

interface Waiting {
  resolve: () => void;
  reject: (error: Error) => void;
}

/** One worker and the answers it owes; a worker that dies fails only its own requests. */
interface Writer {
  worker: Worker;
  pending: Map<number, Waiting>;
  exited: Promise<void>;
}

/**
 * Writes record batches to the SQLite file at `path` in a worker thread with its own connection (the transaction of
 * `sqliteRecordStore`: one per batch, rows already present skipped), so the event loop that serves requests only
 * copies the batch into a message. A write resolves once its transaction committed, so rows are visible to every
 * other connection when it resolves, and rejects when the batch was not written: the store failed, or the worker
 * stopped (crashed, was terminated) before answering. A durable sink then spills the batch and replays it later; the
 * replay skips the rows a worker committed just before it died. Shadowed pairs (`writeShadowAnswer`) go through the
 * same worker, in the same order, with the same answer. The worker starts on first use and again after it stopped; it
 * keeps the process alive only while a write is under way.
 */
export function sqliteThreadRecordStore(path: string, options: SqliteThreadStoreOptions = {}): SqliteThreadRecordStore {
  const data: StoreWorkerData = { path, busyTimeoutMs: options.busyTimeoutMs ?? 1_000 };
  let writer: Writer | null = null;
  let nextId = 1;
  let closed = false;

  const start = (): Writer => {
    const worker = startTsWorker(ENTRY, { workerData: data, name: 'observation-writer' });
    const pending = new Map<number, Waiting>();
    const failAll = (message: string): void => {
      for (const waiting of pending.values()) waiting.reject(new Error(message));
      pending.clear();
    };
    const exited = new Promise<void>((resolve) =>
      worker.once('exit', (code) => {
        if (writer?.worker === worker) writer = null;
        failAll(`observation writer stopped (exit code ${code})`);
        resolve();
      }),
    );
    worker.on('error', (err) => {
      if (writer?.worker === worker) writer = null;
      failAll(`observation writer failed: ${reason(err)}`);
    });
    worker.on('message', ({ id, error }: StoreReply) => {
      const waiting = pending.get(id);
      pending.delete(id);
      if (error === null) waiting?.resolve();
      else waiting?.reject(new Error(error));
      if (!pending.size) worker.unref();
    });
    options.onWorker?.(worker);
    return { worker, pending, exited };
  };

  type Request = { op: 'write'; batch: RecordBatch } | { op: 'shadow-answer'; answer: ShadowAnswer } | { op: 'probe' };
  const send = (request: Request): Promise<void> => {
    if (closed) return Promise.reject(new Error('observation writer closed'));
    writer ??= start();
    const w = writer;
    const id = nextId++;
    const answer = new Promise<void>((resolve, reject) => w.pending.set(id, { resolve, reject }));
    // Referenced only while a request is under way: an idle writer never keeps the process alive.
    w.worker.ref();
    try {
      w.worker.postMessage({ id, ...request } satisfies StoreRequest);
    } catch (err) {
      // Not sent (a value that cannot be copied): nothing to wait for, so the worker no longer holds the process.
      w.pending.get(id)?.reject(err as Error);
      w.pending.delete(id);
      if (!w.pending.size) w.worker.unref();
    }
    return answer;
  };

  return {
    write: (batch) => send({ op: 'write', batch }),
    writeShadowAnswer: (answer) => send({ op: 'shadow-answer', answer }),
    probe: () => send({ op: 'probe' }),
    async close() {
      closed = true;
      const w = writer;
      writer = null;
      if (!w) return;
      // Requests are answered in order: the worker closes its connection after the writes sent before.
      const close = { id: 0, op: 'close' } satisfies StoreRequest;
      if ((await closeWorker(w.worker, w.exited, close, options.closeTimeoutMs ?? 5_000)) === 'late') {
        // Not terminated (see closeWorker): what it still owes is reported as not written.
        for (const { reject } of w.pending.values()) reject(new Error('observation writer did not close in time'));
        w.pending.clear();
      }
    },
  };
}

/** What a worker's uncaught error says: an error of a class other than the built-in ones arrives as a plain object. */
function reason(err: unknown): string {
  const { message, code } = (err ?? {}) as { message?: unknown; code?: unknown };
  return String(message ?? code ?? err);
}
