/** First stdout line of a server process under test, followed by its URL. */
export const READY_PREFIX = 'BENCH_READY ';

/** The environment variable a child entry requires, or an error naming it. */
export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

/** What a server process reports about itself over IPC. */
export interface ProcessReport {
  /** Peak RSS of the process's life, KiB. */
  peakRssKb: number;
  /** User plus system CPU time since start, microseconds. */
  cpuMicros: number;
}

/**
 * Announces a started server to the parent and answers `report` messages on the IPC channel with a
 * `ProcessReport`: peak RSS, and CPU time from `cpuMicros` (this process's, unless the server's work runs in a
 * process of its own). SIGTERM, SIGINT or the parent going away run `stop` and exit.
 */
export function reportReady(url: string, stop: () => Promise<void>, cpuMicros: () => number = ownCpuMicros): void {
  let stopping = false;
  const exit = (): void => {
    if (stopping) return;
    stopping = true;
    void stop().finally(() => process.exit(0));
  };
  process.on('message', function answer(message) {
    if (message !== 'report') return;
    const usage = process.resourceUsage();
    const report: ProcessReport = { peakRssKb: usage.maxRSS, cpuMicros: cpuMicros() };
    process.send?.(report);
  });
  process.once('SIGTERM', exit);
  process.once('SIGINT', exit);
  process.once('disconnect', exit);
  process.stdout.write(`${READY_PREFIX}${url}\n`);
}

/** User plus system CPU time of this process, microseconds. */
export function ownCpuMicros(): number {
  const usage = process.resourceUsage();
  return usage.userCPUTime + usage.systemCPUTime;
}

/** Runs a child entry's start function; a failure is printed and ends the process. */
export function runChild(start: () => Promise<void>): void {
  start().catch((error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  });
}
