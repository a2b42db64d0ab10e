/**
 * Worker-thread entry of `sqliteThreadWindowSource`: answers window queries from its own read-only SQLite
 * connection, so the aggregation's CPU and disk time never runs on the gateway's event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { WindowQuery } from './window-source.ts';
import { sqliteWindowSource } from './window-source-sqlite.ts';

/** A window query sent to the worker (the answer carries the same id), or the request to close and exit. */
export type WindowRequest = { id: number; query: WindowQuery } | { close: true };

const source = sqliteWindowSource((workerData as { path: string }).path);
parentPort!.on('message', (request: WindowRequest) => {
  if ('close' in request) {
    // Reads run one at a time on this thread, so the ones sent before have been answered: close and let the thread end.
    void source.close().finally(() => parentPort!.close());
    return;
  }
  void source.figures(request.query).then((result) => parentPort!.postMessage({ id: request.id, result }));
});
