import type { Worker } from 'node:worker_threads';
import { startTsWorker } from '../../lib/node/ts-worker.ts';
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
  let worker: { thread: Worker; exited: Promise<void> } | null = null;
  let nextId = 1;
  const pending = new Map<number, (result: WindowResult) => void>();
  const failAll = (message: string): void => {
    for (const resolve of pending.values()) resolve({ ok: false, message });
    pending.clear();
  };
  const start = (): { thread: Worker; exited: Promise<void> } => {
    const w = startTsWorker(ENTRY, { workerData: { path }, name: 'canary-window' });
    w.on('message', ({ id, result }: { id: number; result: WindowResult }) => {
      pending.get(id)?.(result);
      pending.delete(id);
      if (!pending.size) w.unref();
    });
    w.on('error', (err) => failAll(`window reader failed: ${err.message}`));
    const exited = new Promise<void>((resolve) => {
      w.on('exit', (code) => {
        if (worker?.thread === w) worker = null;
        failAll(`window reader stopped (exit code ${code})`);
        resolve();
      });
    });
    return { thread: w, exited };
  };
  return {
    figures(query) {
      worker ??= start();
      const id = nextId++;
      const answer = new Promise<WindowResult>((resolve) => pending.set(id, resolve));
      // Referenced only while a read is under way: an idle reader never keeps the process alive.
      worker.thread.ref();
      worker.thread.postMessage({ id, query } satisfies WindowRequest);
      return answer;
    },
    async close() {
      const w = worker;
      worker = null;
      failAll('window source closed');
      if (!w) return;
      // Never terminate() a thread that may be inside a SQLite statement: on Node 22 better-sqlite3 then aborts the
      // whole process. The worker closes its connection after the read under way and exits; one still busy past the
      // limit is let go (unreferenced), its answer unread.
      w.thread.ref();
      w.thread.postMessage({ close: true } satisfies WindowRequest);
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), options.closeTimeoutMs ?? 5_000);
      });
      if ((await Promise.race([w.exited, late])) === 'late') w.thread.unref();
      clearTimeout(timer);
    },
  };
}
