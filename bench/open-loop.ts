import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import type { PlannedRequest } from './load.ts';
import { driveSchedule, type OpenRecord, type OpenSummary, scheduledCount, summarizeOpenLoop } from './open-schedule.ts';

/** An open-loop run: requests start at a fixed rate whether or not earlier ones have been answered. */
export interface OpenLoopPlan {
  origin: string;
  path: string;
  ratePerSecond: number;
  /** Most connections to open; a request due while every one is busy waits in the pool's queue (and is counted). */
  connections: number;
  warmupMs: number;
  measureMs: number;
  /** Streaming answers: bodies are checked for `errorMarker`. */
  streaming: boolean;
  /** Bytes that mark an error inside a streamed body (default: an event-stream exception frame's header). */
  errorMarker?: Buffer;
  /** The `n`th request of the run; the same `n` always gives the same request. */
  request(n: number): PlannedRequest;
  /** Called when the measured window starts (after the warm-up). */
  onMeasureStart?: () => void;
}

const EXCEPTION_HEADER = Buffer.from(':exception-type');
/** After the last start, answers are awaited this long at least (longer for long windows) before the run gives up on them. */
const MIN_DRAIN_MS = 10_000;

const clock = { now: () => performance.now(), sleep: (ms: number) => sleep(Math.max(0, ms)) };

/**
 * Runs an open loop over an undici `Pool`: request `n` is due `n / rate` s after the start and is sent then,
 * however many earlier ones are still in flight. Latency and TTFT count from the intended start (see
 * `summarizeOpenLoop`); requests due during the warm-up are sent but not kept.
 */
export async function runOpenLoop(plan: OpenLoopPlan): Promise<OpenSummary> {
  const pool = new Pool(plan.origin, { connections: plan.connections, pipelining: 1, keepAliveTimeout: 60_000 });
  const marker = plan.errorMarker ?? EXCEPTION_HEADER;
  const records: OpenRecord[] = [];
  const pending = new Set<Promise<void>>();
  let stopped = false;

  async function send(record: OpenRecord, { headers, body }: PlannedRequest): Promise<void> {
    let failure: string | null = null;
    try {
      const response = await pool.request({ path: plan.path, method: 'POST', headers, body });
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        if (record.firstByteAt === 0) record.firstByteAt = performance.now();
        if (plan.streaming && chunk.includes(marker)) failure = 'stream-exception';
      }
      if (response.statusCode < 200 || response.statusCode > 299) failure = `http-${response.statusCode}`;
    } catch (error) {
      failure = (error as { code?: string }).code ?? (error as Error).name;
    }
    if (stopped) return;
    record.doneAt = performance.now();
    record.failure = failure;
  }

  const total = scheduledCount(plan.ratePerSecond, plan.warmupMs + plan.measureMs);
  let inFlight = 0;
  let firstDue = 0;
  let measuring = false;
  const origin = await driveSchedule(plan.ratePerSecond, total, clock, (n, intendedAt, lagMs) => {
    if (n === 0) firstDue = intendedAt;
    if (!measuring && intendedAt - firstDue >= plan.warmupMs) {
      measuring = true;
      plan.onMeasureStart?.();
    }
    const record: OpenRecord = { intendedAt, lagMs, queued: inFlight >= plan.connections, firstByteAt: 0, doneAt: 0, failure: null };
    records.push(record);
    inFlight++;
    const done = send(record, plan.request(n)).finally(() => {
      inFlight--;
      pending.delete(done);
    });
    pending.add(done);
  });
  const giveUp = new AbortController();
  const finished = await Promise.race([
    Promise.all(pending).then(() => true),
    sleep(Math.max(MIN_DRAIN_MS, plan.measureMs), false, { signal: giveUp.signal }).catch(() => false),
  ]);
  giveUp.abort();
  stopped = true;
  const windowStart = origin + plan.warmupMs;
  const summary = summarizeOpenLoop(records, windowStart, windowStart + plan.measureMs);
  if (finished) await pool.close();
  else await pool.destroy();
  return summary;
}
