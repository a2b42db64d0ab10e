import { describe, expect, it } from 'vitest';
import { compareTargets } from './compare.ts';
import type { CellResult } from './harness.ts';
import { settingsFromEnv } from './settings.ts';

function cell(target: CellResult['target'], rps: number, p50: number, p99: number): CellResult {
  const latencyMs = { count: 1, mean: p50, p50, p90: p99, p99, p999: p99, max: p99 };
  return {
    target,
    mode: 'converse-stream',
    concurrency: 10,
    requests: rps,
    requestsPerSecond: rps,
    latencyMs,
    ttftMs: null,
    errors: 0,
    errorKinds: {},
    proxyRssMb: null,
    simulatorRssMb: 0,
    cpuMicrosPerRequest: { proxy: null, simulator: 0, loadGenerator: 0 },
    otherCpuCores: null,
    eventLoopDelayMs: { proxy: null, simulator: null },
  };
}

describe('baseline target', () => {
  it('is measured only when a revision is named', () => {
    expect(settingsFromEnv({}).targets).not.toContain('baseline');
    const withRef = settingsFromEnv({ BENCH_BASELINE_REF: 'HEAD~1' });
    expect(withRef.targets).toContain('baseline');
    expect(withRef.baselineRef).toBe('HEAD~1');
  });

  it('refuses a baseline target without a revision, naming the setting', () => {
    expect(() => settingsFromEnv({ BENCH_TARGETS: 'gateway,baseline' })).toThrow(/BENCH_BASELINE_REF/);
  });

  it('compares the gateway with its baseline cell by cell', () => {
    const [comparison] = compareTargets([cell('gateway', 1100, 2, 5), cell('baseline', 1000, 2.5, 4)]);
    expect(comparison!.baseline).toEqual({ requestsPerSecond: 1000, gatewayPercentOfBaseline: 110, p50DeltaMs: -0.5, p99DeltaMs: 1 });
    expect(compareTargets([cell('gateway', 1100, 2, 5)])[0]!.baseline).toBeNull();
  });
});
