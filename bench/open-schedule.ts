/**
 * The pure parts of the open-loop generator: when each request is due, how starts follow the schedule whatever
 * the answers do, and what a run's records amount to. The socket side is in `open-loop.ts`.
 */

/** A start is late when it leaves more than this long after its intended time (a late timer, a busy loop). */
export const LATE_START_MS = 1;

/** When request `index` is due, ms after the run's origin: requests are evenly spaced at `ratePerSecond`. */
export function intendedStartMs(index: number, ratePerSecond: number): number {
  return (index * 1000) / ratePerSecond;
}

/** How many requests a run of `durationMs` at `ratePerSecond` schedules: those due before it ends. */
export function scheduledCount(ratePerSecond: number, durationMs: number): number {
  return Math.max(0, Math.ceil((durationMs * ratePerSecond) / 1000 - 1e-9));
}

/** The clock a schedule runs on (`performance.now` and a timer in a real run, a fake one in tests). */
export interface ScheduleClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/**
 * Starts `count` requests on schedule: request `i` is due `intendedStartMs(i, rate)` after the origin (the clock
 * when called). `start` only sends (it must not wait for the answer), so an answer that is late never delays the
 * next start; when the clock has fallen behind, every request already due starts at once, each told its intended
 * time and how far behind it left. Resolves with the origin once the last one has started.
 */
export async function driveSchedule(
  ratePerSecond: number,
  count: number,
  clock: ScheduleClock,
  start: (index: number, intendedAt: number, lagMs: number) => void,
): Promise<number> {
  const origin = clock.now();
  let next = 0;
  while (next < count) {
    for (let due = origin + intendedStartMs(next, ratePerSecond); next < count && due <= clock.now(); ) {
      start(next, due, clock.now() - due);
      next++;
      due = origin + intendedStartMs(next, ratePerSecond);
    }
    if (next < count) await clock.sleep(origin + intendedStartMs(next, ratePerSecond) - clock.now());
  }
  return origin;
}

/** What became of one scheduled request; times on the schedule's clock. */
export interface OpenRecord {
  intendedAt: number;
  /** How long after `intendedAt` it was sent. */
  lagMs: number;
  /** Every connection was busy when it was due, so it waited in the generator's queue. */
  queued: boolean;
  /** First body byte (0: none yet). */
  firstByteAt: number;
  /** Last body byte or failure (0: not finished when the run stopped waiting). */
  doneAt: number;
  /** The kind of failure (`http-503`, `stream-exception`, `ECONNRESET`...), or null. */
  failure: string | null;
}

/** The measured window's figures of an open-loop run. */
export interface OpenSummary {
  /** Requests due in the window. */
  scheduled: number;
  /** Intended start to last body byte, ms, for every request due in the window that was answered. */
  latencies: number[];
  /** Intended start to first body byte, ms, for the same requests. */
  ttfts: number[];
  /** Requests due in the window that left more than `LATE_START_MS` late. */
  lateStarts: number;
  /** Requests due in the window that found every connection busy. */
  queuedStarts: number;
  /** How long after their intended time the requests due in the window were sent, ms. */
  startLags: number[];
  /** Requests due in the window still unanswered when the run stopped waiting (left out of the percentiles). */
  unfinished: number;
  /** Successful answers that ended inside the window, per second of window: what the target kept up with. */
  answeredPerSecond: number;
  /** Failed requests over the whole run (warm-up included), by kind. */
  errors: Record<string, number>;
  /** Successful answers over the whole run, warm-up included. */
  completed: number;
}

/**
 * Sums up a run's records: latency and TTFT count from the intended start, not from the send, so a late start or
 * a wait for a connection shows as latency (no coordinated omission). Samples are the requests due in
 * [windowStart, windowEnd); failures count over the whole run.
 */
export function summarizeOpenLoop(records: readonly OpenRecord[], windowStart: number, windowEnd: number): OpenSummary {
  const summary: OpenSummary = {
    scheduled: 0,
    latencies: [],
    ttfts: [],
    lateStarts: 0,
    queuedStarts: 0,
    startLags: [],
    unfinished: 0,
    answeredPerSecond: 0,
    errors: {},
    completed: 0,
  };
  let answeredInWindow = 0;
  for (const r of records) {
    if (r.failure !== null) summary.errors[r.failure] = (summary.errors[r.failure] ?? 0) + 1;
    else if (r.doneAt > 0) {
      summary.completed++;
      if (r.doneAt >= windowStart && r.doneAt < windowEnd) answeredInWindow++;
    }
    if (r.intendedAt < windowStart || r.intendedAt >= windowEnd) continue;
    summary.scheduled++;
    if (r.lagMs > LATE_START_MS) summary.lateStarts++;
    if (r.queued) summary.queuedStarts++;
    summary.startLags.push(r.lagMs);
    if (r.failure !== null) continue;
    if (r.doneAt === 0) {
      summary.unfinished++;
      continue;
    }
    summary.latencies.push(r.doneAt - r.intendedAt);
    summary.ttfts.push((r.firstByteAt || r.doneAt) - r.intendedAt);
  }
  const windowMs = windowEnd - windowStart;
  summary.answeredPerSecond = windowMs > 0 ? answeredInWindow / (windowMs / 1000) : 0;
  return summary;
}
