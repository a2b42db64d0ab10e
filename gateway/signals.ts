/** The signals that start a drain. */
export const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT'] as const;
export type ShutdownSignal = (typeof SHUTDOWN_SIGNALS)[number];

/** Where signal handlers go: the process, or an event emitter in tests. */
export interface SignalSource {
  on(event: ShutdownSignal, listener: () => void): unknown;
}

/**
 * Starts `drain` on the first SIGTERM or SIGINT and keeps a handler installed for good, so a repeated signal never
 * falls back to Node's default action (exit at once, skipping the flush). Later signals only log: duplicates are the
 * norm, not an escalation — npm forwards the signal it gets to the gateway, and Ctrl-C in a terminal signals npm and
 * the gateway alike — so the second one must not cut the drain short. SIGKILL is the way to stop at once.
 */
export function drainOnSignals(drain: (signal: ShutdownSignal) => void, log: (line: string) => void, source: SignalSource = process): void {
  let first: ShutdownSignal | null = null;
  const onSignal = (signal: ShutdownSignal): void => {
    if (first) {
      log(`${signal} again: the drain goes on (started by ${first}); observations are flushed before exit`);
      return;
    }
    first = signal;
    drain(signal);
  };
  for (const signal of SHUTDOWN_SIGNALS) source.on(signal, () => onSignal(signal));
}
