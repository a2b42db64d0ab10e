import type { OpenCellResult } from './open-cell.ts';
import { isStreaming, type Mode, type TargetName } from './settings.ts';
import type { Distribution } from './stats.ts';

/** The aim of the open-loop measurement: at this rate, the gateway adds at most this much more p99 than the bare proxy. */
export const OPEN_AIM = { ratePerSecond: 500, p99OverBareMs: 1 } as const;

/** A target's percentiles minus the direct path's, ms. */
export interface AddedLatency {
  p50: number;
  p99: number;
  p999: number;
}

/** Bare proxy and gateway against the direct path at one mode and arrival rate, open loop. */
export interface OpenComparison {
  mode: Mode;
  ratePerSecond: number;
  /** What is compared: latency (to the last byte) for plain answers, time to first byte for streams. */
  metric: 'latency' | 'ttft';
  bareAddedMs: AddedLatency | null;
  gatewayAddedMs: AddedLatency | null;
  /** Gateway added p99 minus bare added p99 (the gateway's p99 minus the bare proxy's), ms. */
  gatewayOverBareP99Ms: number | null;
  /** At `OPEN_AIM`'s rate: whether the gateway's added p99 is within its bound of bare's; null at other rates or unmeasured. */
  aimMet: boolean | null;
}

/** Derives the comparisons for every (mode, rate) measured in open loop. */
export function compareOpenLoop(cells: readonly OpenCellResult[]): OpenComparison[] {
  const keys = [...new Set(cells.map((c) => `${c.mode}|${c.ratePerSecond}`))];
  return keys.map((key) => {
    const [mode, rate] = key.split('|') as [Mode, string];
    const ratePerSecond = Number(rate);
    const of = (target: TargetName): Distribution | null => {
      const cell = cells.find((c) => c.target === target && c.mode === mode && c.ratePerSecond === ratePerSecond);
      return cell ? (cell.ttftMs ?? cell.latencyMs) : null;
    };
    const direct = of('direct');
    const added = (target: TargetName): AddedLatency | null => {
      const d = of(target);
      return d && direct ? { p50: d.p50 - direct.p50, p99: d.p99 - direct.p99, p999: d.p999 - direct.p999 } : null;
    };
    const bare = of('bare');
    const gateway = of('gateway');
    const gatewayOverBareP99Ms = bare && gateway ? gateway.p99 - bare.p99 : null;
    return {
      mode,
      ratePerSecond,
      metric: isStreaming(mode) ? 'ttft' : 'latency',
      bareAddedMs: added('bare'),
      gatewayAddedMs: added('gateway'),
      gatewayOverBareP99Ms,
      aimMet:
        ratePerSecond === OPEN_AIM.ratePerSecond && gatewayOverBareP99Ms !== null ? gatewayOverBareP99Ms <= OPEN_AIM.p99OverBareMs : null,
    };
  });
}
