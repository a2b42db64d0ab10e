import { streamingOf } from './load.ts';
import { runOpenLoop } from './open-loop.ts';
import { BUSY_MACHINE_CORES, loopDelayText, type ProcessFigures, watchProcesses } from './process-figures.ts';
import { isStreaming, type BenchSettings, type Mode, type TargetName } from './settings.ts';
import { distribution, type Distribution } from './stats.ts';
import type { RunningTarget } from './targets.ts';

/** One (target, mode, arrival rate) measurement, open loop. */
export interface OpenCellResult extends ProcessFigures {
  target: TargetName;
  mode: Mode;
  /** Offered load: requests started per second, on schedule. */
  ratePerSecond: number;
  /** Requests due in the measured window. */
  requests: number;
  /** Successful answers that ended in the measured window, per second: below the rate when the target fell behind. */
  answeredPerSecond: number;
  /** Intended start to last body byte of the requests due in the window. */
  latencyMs: Distribution;
  /** Intended start to first body byte; streaming only. */
  ttftMs: Distribution | null;
  /** Requests due in the window that left more than 1 ms behind schedule (the generator's timer or loop was late). */
  lateStarts: number;
  /** Requests due in the window that found every generator connection busy and waited for one. */
  queuedStarts: number;
  /** How long after their intended time the requests due in the window were sent. */
  startLagMs: Distribution;
  /** Requests due in the window still unanswered when the run stopped waiting; left out of the percentiles. */
  unfinished: number;
  /** Failed answers in the cell, warm-up included; zero expected. */
  errors: number;
  errorKinds: Record<string, number>;
}

/** A discarded warm-up and a measured window at `rate` requests per second, over an undici pool. */
export async function measureOpenCell(
  target: RunningTarget,
  mode: Mode,
  rate: number,
  settings: BenchSettings,
): Promise<{ result: OpenCellResult; reset: boolean }> {
  const endpoint = target.endpoint(mode);
  const watch = await watchProcesses(target);
  const summary = await runOpenLoop({
    origin: target.origin,
    path: endpoint.path,
    ratePerSecond: rate,
    connections: settings.openConnections,
    warmupMs: settings.warmupSeconds * 1000,
    measureMs: settings.openSeconds * 1000,
    ...streamingOf(mode),
    request: (n) => endpoint.request(0, n),
    onMeasureStart: watch.measureStart,
  });
  const figures = await watch.finish(summary.completed);
  const result: OpenCellResult = {
    target: target.name,
    mode,
    ratePerSecond: rate,
    requests: summary.scheduled,
    answeredPerSecond: summary.answeredPerSecond,
    latencyMs: distribution(summary.latencies),
    ttftMs: isStreaming(mode) ? distribution(summary.ttfts) : null,
    lateStarts: summary.lateStarts,
    queuedStarts: summary.queuedStarts,
    startLagMs: distribution(summary.startLags),
    unfinished: summary.unfinished,
    errors: Object.values(summary.errors).reduce((a, b) => a + b, 0),
    errorKinds: summary.errors,
    ...figures,
  };
  return { result, reset: watch.rssReset };
}

/**
 * `<target> <mode> rate=<n> <answered> req/s  p50 .. ms  p99 .. ms  p99.9 .. ms` (TTFT for streams), then the
 * late and queued starts and the event-loop delays.
 */
export function openProgressLine(cell: OpenCellResult): string {
  const shown = cell.ttftMs ?? cell.latencyMs;
  const what = cell.ttftMs ? 'ttft ' : '';
  const errors = cell.errors ? `, ${cell.errors} ERRORS ${JSON.stringify(cell.errorKinds)}` : '';
  const unfinished = cell.unfinished ? `, ${cell.unfinished} UNFINISHED` : '';
  const busy =
    (cell.otherCpuCores ?? 0) > BUSY_MACHINE_CORES ? `, machine busy: other processes used ${cell.otherCpuCores!.toFixed(2)} cores` : '';
  const percentiles = `${what}p50 ${shown.p50.toFixed(2)} ms  ${what}p99 ${shown.p99.toFixed(2)} ms  ${what}p99.9 ${shown.p999.toFixed(2)} ms`;
  const starts = `  late ${cell.lateStarts}/${cell.requests} (lag p99 ${cell.startLagMs.p99.toFixed(2)} ms) queued ${cell.queuedStarts}`;
  return `${cell.target.padEnd(7)} ${cell.mode.padEnd(15)} rate=${String(cell.ratePerSecond).padEnd(5)} ${cell.answeredPerSecond.toFixed(0).padStart(6)} req/s  ${percentiles}${starts}${loopDelayText(cell, cell.target !== 'direct')}${unfinished}${errors}${busy}`;
}
