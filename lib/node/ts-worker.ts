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

/**
 * Sends a worker its close request and waits, at most `timeoutMs`, for it to exit. Never `terminate()`: cutting a
 * thread inside a SQLite statement aborts the whole process on Node 22 (better-sqlite3 cannot build its error while
 * the thread is torn down). A worker still busy at the limit is unreferenced, so it no longer holds the process
 * (process exit ends it), and 'late' comes back for the caller to fail what the worker still owes.
 */
export async function closeWorker(
  worker: Worker,
  exited: Promise<unknown>,
  request: unknown,
  timeoutMs: number,
): Promise<'exited' | 'late'> {
  worker.ref();
  worker.postMessage(request);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), timeoutMs);
  });
  const outcome = await Promise.race([exited.then(() => 'exited' as const), late]);
  clearTimeout(timer);
  if (outcome === 'late') worker.unref();
  return outcome;
}
