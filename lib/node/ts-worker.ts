import { Worker, type WorkerOptions } from 'node:worker_threads';

// The worker runs TypeScript like the gateway (through tsx), whatever loader the parent was started with: plain
// `node --import tsx`, vitest, or the Node 22 check.
const TSX_API = import.meta.resolve('tsx/esm/api');

/**
 * Starts a worker thread on a TypeScript entry file (a `file:` URL, e.g. `new URL('./x-thread.ts', import.meta.url)`),
 * loaded through tsx's API inside the worker.
 */
export function startTsWorker(entry: URL, options: Omit<WorkerOptions, 'eval'> = {}): Worker {
  const href = JSON.stringify(entry.href);
  const boot = `import(${JSON.stringify(TSX_API)}).then((tsx) => tsx.tsImport(${href}, ${href}))`;
  return new Worker(boot, { ...options, eval: true });
}
