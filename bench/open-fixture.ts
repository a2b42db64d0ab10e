import type { OpenCellResult } from './open-cell.ts';
import type { Mode, TargetName } from './settings.ts';
import { distribution } from './stats.ts';

/**
 * An open-loop cell for tests: `samples` are its measured figure (TTFT for `converse-stream`, whose latency is 50 ms
 * more), on time, with no errors and a quiet machine unless `extra` says otherwise.
 */
export function openCell(
  target: TargetName,
  mode: Mode,
  rate: number,
  samples: number[],
  extra: Partial<OpenCellResult> = {},
): OpenCellResult {
  const measured = distribution(samples);
  return {
    target,
    mode,
    ratePerSecond: rate,
    requests: samples.length,
    answeredPerSecond: rate,
    latencyMs: mode === 'converse-stream' ? distribution(samples.map((s) => s + 50)) : measured,
    ttftMs: mode === 'converse-stream' ? measured : null,
    lateStarts: 0,
    queuedStarts: 0,
    startLagMs: distribution(samples.map(() => 0.2)),
    unfinished: 0,
    errors: 0,
    errorKinds: {},
    proxyRssMb: target === 'direct' ? null : 100,
    simulatorRssMb: 100,
    cpuMicrosPerRequest: { proxy: target === 'direct' ? null : 300, simulator: 400, loadGenerator: 100 },
    otherCpuCores: 0,
    eventLoopDelayMs: {
      proxy: target === 'direct' ? null : { p50Ms: 1.05, p99Ms: 2.5, maxMs: 7.25, meanMs: 1.1, samples: 900 },
      simulator: { p50Ms: 1.05, p99Ms: 1.5, maxMs: 3, meanMs: 1.1, samples: 950 },
    },
    ...extra,
  };
}

/** 1,000 samples of k, 2k ... 1000k ms: p50 = 500k, p99 = 990k, p99.9 = 999k. */
export function spread(k: number): number[] {
  return Array.from({ length: 1000 }, (_, i) => (i + 1) * k);
}
