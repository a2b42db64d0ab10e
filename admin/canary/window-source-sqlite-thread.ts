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
export function sqliteThreadWindowSource(path: string): WindowSource {
  let worker: Worker | null = null;
  let nextId = 1;
  const pending = new Map<number, (result: WindowResult) => void>();
  const failAll = (message: string): void => {
    for (const resolve of pending.values()) resolve({ ok: false, message });
    pending.clear();
  };
  const start = (): Worker => {
    const w = startTsWorker(ENTRY, { workerData: { path }, name: 'canary-window' });
    w.on('message', ({ id, result }: { id: number; result: WindowResult }) => {
      pending.get(id)?.(result);
      pending.delete(id);
      if (!pending.size) w.unref();
    });
    w.on('error', (err) => failAll(`window reader failed: ${err.message}`));
    w.on('exit', (code) => {
      if (worker === w) worker = null;
      failAll(`window reader stopped (exit code ${code})`);
    });
    return w;
  };
  return {
    figures(query) {
      worker ??= start();
      const id = nextId++;
      const answer = new Promise<WindowResult>((resolve) => pending.set(id, resolve));
      // Referenced only while a read is under way: an idle reader never keeps the process alive.
      worker.ref();
      worker.postMessage({ id, query } satisfies WindowRequest);
      return answer;
    },
    async close() {
      const w = worker;
      worker = null;
      failAll('window source closed');
      await w?.terminate();
    },
  };
}
