import { OPEN_AIM, type AddedLatency, type OpenComparison } from './open-compare.ts';
import type { OpenCellResult } from './open-cell.ts';
import { BUSY_MACHINE_CORES } from './process-figures.ts';
import { LATE_START_MS } from './open-schedule.ts';
import type { LoopDelay } from './server-process.ts';
import type { BenchSettings } from './settings.ts';

/** Share of a cell's requests that may start late before the Markdown warns that the generator fell behind. */
const LATE_WARNING_SHARE = 0.01;

/** The "Open loop" section: one row per cell, then what the bare proxy and the gateway add over direct. */
export function openLoopSection(
  cells: readonly OpenCellResult[],
  comparisons: readonly OpenComparison[],
  s: Pick<BenchSettings, 'warmupSeconds' | 'openSeconds' | 'openConnections'>,
): string[] {
  if (cells.length === 0) return [];
  return [
    '### Open loop',
    '',
    `Requests start at a fixed rate whether or not earlier ones were answered (undici \`Pool\`, up to ${s.openConnections} connections), so queueing shows; latency and TTFT count from each request's intended start, not from when it was sent (no coordinated omission). ${s.warmupSeconds} s warm-up at the same rate discarded, ${s.openSeconds} s measured per cell. "late": requests sent more than ${LATE_START_MS} ms behind schedule (the generator's timer or loop was late; that delay is in their latency); "queued": requests due while every connection was busy. Answered req/s: successful answers that ended in the window.`,
    '',
    '| target | mode | rate | answered req/s | requests | p50 | p99 | p99.9 | TTFT p50 | TTFT p99 | TTFT p99.9 | late | start lag p99 | queued | unfinished | errors | proxy CPU µs/req | proxy loop p99 | proxy loop max | sim loop p99 | sim loop max |',
    '| --- | --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: |',
    ...cells.map(openRow),
    '',
    ...addedTable(comparisons, cells),
    ...generatorNotes(cells),
  ];
}

/** The event-loop delay columns of a row: proxy p99 and max, simulator p99 and max (ms). */
export function loopColumns(delays: { proxy: LoopDelay | null; simulator: LoopDelay | null }): string[] {
  const pair = (d: LoopDelay | null): string[] => (d ? [d.p99Ms.toFixed(2), d.maxMs.toFixed(2)] : ['-', '-']);
  return [...pair(delays.proxy), ...pair(delays.simulator)];
}

function openRow(c: OpenCellResult): string {
  const ms = (v: number): string => v.toFixed(2);
  const ttft = c.ttftMs ? [ms(c.ttftMs.p50), ms(c.ttftMs.p99), ms(c.ttftMs.p999)] : ['-', '-', '-'];
  const cells = [
    c.target,
    c.mode,
    String(c.ratePerSecond),
    c.answeredPerSecond.toFixed(0),
    String(c.requests),
    ms(c.latencyMs.p50),
    ms(c.latencyMs.p99),
    ms(c.latencyMs.p999),
    ...ttft,
    String(c.lateStarts),
    ms(c.startLagMs.p99),
    String(c.queuedStarts),
    String(c.unfinished),
    String(c.errors),
    c.cpuMicrosPerRequest.proxy === null ? '-' : c.cpuMicrosPerRequest.proxy.toFixed(0),
    ...loopColumns(c.eventLoopDelayMs),
  ];
  return `| ${cells.join(' | ')} |`;
}

function addedTable(comparisons: readonly OpenComparison[], cells: readonly OpenCellResult[]): string[] {
  if (!comparisons.some((c) => c.bareAddedMs || c.gatewayAddedMs)) return [];
  const added = (a: AddedLatency | null): string[] => (a ? [signed(a.p50), signed(a.p99), signed(a.p999)] : ['-', '-', '-']);
  const aimRows = comparisons.filter((c) => c.aimMet !== null);
  const verdict = (c: OpenComparison): string => {
    const doubts = doubtsOf(cells.filter((x) => x.mode === c.mode && x.ratePerSecond === c.ratePerSecond));
    const text = `${c.mode}: ${c.aimMet ? 'met' : 'MISSED'} (${signed(c.gatewayOverBareP99Ms!)})`;
    return doubts.length ? `${text}, not conclusive: ${doubts.join(', ')}` : text;
  };
  return [
    '#### Added over direct, open loop (latency for converse, TTFT for streams)',
    '',
    '| mode | measure | rate | bare +p50 | bare +p99 | bare +p99.9 | gateway +p50 | gateway +p99 | gateway +p99.9 | gateway p99 - bare p99 |',
    '| --- | --- | --: | --: | --: | --: | --: | --: | --: | --: |',
    ...comparisons.map(
      (c) =>
        `| ${c.mode} | ${c.metric === 'ttft' ? 'TTFT' : 'latency'} | ${c.ratePerSecond} | ${[...added(c.bareAddedMs), ...added(c.gatewayAddedMs)].join(' | ')} | ${c.gatewayOverBareP99Ms === null ? '-' : signed(c.gatewayOverBareP99Ms)} |`,
    ),
    '',
    `Aim: at ${OPEN_AIM.ratePerSecond} req/s the gateway's added p99 is within ${OPEN_AIM.p99OverBareMs} ms of the bare proxy's. ${
      aimRows.length === 0
        ? `Not measured in this run (needs bare, gateway and direct at ${OPEN_AIM.ratePerSecond} req/s).`
        : aimRows.map(verdict).join('; ')
    }.`,
    '',
  ];
}

/**
 * Why the cells behind a comparison may not measure the targets alone: the generator fell behind, answers never came
 * or failed, the machine was busy.
 */
function doubtsOf(cells: readonly OpenCellResult[]): string[] {
  const doubts: string[] = [];
  if (cells.some(lateOften)) doubts.push('late starts');
  if (cells.some((c) => c.unfinished > 0)) doubts.push('unfinished requests');
  // Failed requests are left out of the percentiles too: a target that fails fast would read as quick.
  if (cells.some((c) => c.errors > 0)) doubts.push('failed requests');
  if (cells.some((c) => (c.otherCpuCores ?? 0) > BUSY_MACHINE_CORES)) doubts.push('machine busy');
  return doubts;
}

function lateOften(c: OpenCellResult): boolean {
  return c.requests > 0 && c.lateStarts / c.requests > LATE_WARNING_SHARE;
}

function generatorNotes(cells: readonly OpenCellResult[]): string[] {
  const name = (c: OpenCellResult): string => `${c.target} ${c.mode} rate=${c.ratePerSecond}`;
  const late = cells.filter(lateOften);
  const queued = cells.filter((c) => c.queuedStarts > 0);
  const unfinished = cells.filter((c) => c.unfinished > 0);
  const notes = [
    late.length
      ? `WARNING: the load generator sent over ${LATE_WARNING_SHARE * 100}% of the requests late in ${late.map((c) => `${name(c)} (${c.lateStarts}, lag p99 ${c.startLagMs.p99.toFixed(1)} ms, max ${c.startLagMs.max.toFixed(1)} ms)`).join(', ')}; its own delay is in those latencies.`
      : `Late starts: at most ${LATE_WARNING_SHARE * 100}% of any cell's requests.`,
    ...(queued.length ? [`Queued starts (every connection busy): ${queued.map((c) => `${name(c)}: ${c.queuedStarts}`).join(', ')}.`] : []),
    ...(unfinished.length
      ? [
          `WARNING: requests still unanswered when the run stopped waiting, left out of the percentiles: ${unfinished.map((c) => `${name(c)}: ${c.unfinished}`).join(', ')}.`,
        ]
      : []),
  ];
  return [...notes, ''];
}

function signed(value: number): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(2)} ms`;
}
