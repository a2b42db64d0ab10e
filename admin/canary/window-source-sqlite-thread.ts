import type { Worker } from 'node:worker_threads';
import { closeWorker, startTsWorker } from '../../lib/node/ts-worker.ts';
import type { WindowRequest } from './window-thread.ts';
import type { WindowResult, WindowSource } from './window-source.ts';

const ENTRY = new URL('./window-thread.ts', import.meta.url);

/**
 * Reads canary windows from the gateway's SQLite observations file in a worker thread with its own read-only
 * connection (the same SQL aggregation as `sqliteWindowSource`): the lease holder's event loop, which also
 * serves requests, only waits for a message. The worker starts on first use and again after it died; a read
 * it could not answer (worker crashed, source closed) comes back as a value.
 */
export function sqliteThreadWindowSource(path: string, options: { closeTimeoutMs?: number } = {}): WindowSource {
  /** A worker and the reads it owes: a worker that stops fails its own reads only, not a newer worker's. */
  interface Reader {
    thread: Worker;
    exited: Promise<void>;
    pending: Map<number, (result: WindowResult) => void>;
  }
  let worker: Reader | null = null;
  let nextId = 1;
  const failAll = (reader: Reader, message: string): void => {
    for (const resolve of reader.pending.values()) resolve({ ok: false, message });
    reader.pending.clear();
  };
  const start = (): Reader => {
    const thread = startTsWorker(ENTRY, { workerData: { path }, name: 'canary-window' });
    let exit!: () => void;
    const reader: Reader = { thread, exited: new Promise<void>((resolve) => (exit = resolve)), pending: new Map() };
    thread.on('message', ({ id, result }: { id: number; result: WindowResult }) => {
      reader.pending.get(id)?.(result);
      reader.pending.delete(id);
      // Referenced only while a read is under way: an idle reader never keeps the process alive (while it closes,
      // closeWorker's own timer does).
      if (!reader.pending.size) thread.unref();
    });
    thread.on('error', (err) => failAll(reader, `window reader failed: ${err.message}`));
    thread.on('exit', (code) => {
      if (worker === reader) worker = null;
      failAll(reader, `window reader stopped (exit code ${code})`);
      exit();
    });
    return reader;
  };
  return {
    figures(query) {
      worker ??= start();
      const reader = worker;
      const id = nextId++;
      const answer = new Promise<WindowResult>((resolve) => reader.pending.set(id, resolve));
      reader.thread.ref();
      reader.thread.postMessage({ id, query } satisfies WindowRequest);
      return answer;
    },
    async close() {
      const reader = worker;
      worker = null;
      if (!reader) return;
      failAll(reader, 'window source closed');
      // The worker closes its connection after the read under way and exits; one still busy past the limit is let go
      // (unreferenced, never terminated: see closeWorker), its answer unread.
      await closeWorker(reader.thread, reader.exited, { close: true } satisfies WindowRequest, options.closeTimeoutMs ?? 5_000);
    },
  };
}
