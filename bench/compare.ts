import type { CellResult } from './harness.ts';
import type { Mode } from './settings.ts';

/** The gateway against the bare proxy and the direct path at one mode and concurrency. */
export interface Comparison {
  mode: Mode;
  concurrency: number;
  /** Gateway requests/s as a percentage of the bare proxy's. */
  gatewayPercentOfBare: number | null;
  /** Gateway p99 minus direct p99, ms. */
  gatewayAddedP99Ms: number | null;
  /** Bare proxy p99 minus direct p99, ms: what any proxy in this stack adds. */
  bareAddedP99Ms: number | null;
  /** Gateway requests/s as a percentage of the fetch-based bare Hono proxy's. */
  gatewayPercentOfBareFetch: number | null;
  /** Gateway p50 minus direct p50, ms. */
  gatewayAddedP50Ms: number | null;
  /** The Portkey gateway against the same direct path (chat modes only); null where it was not measured. */
  portkey: PortkeyComparison | null;
  /** The gateway against itself at the baseline revision; null where no baseline was measured. */
  baseline: BaselineComparison | null;
}

/** The gateway now against the gateway at the baseline revision, same run. */
export interface BaselineComparison {
  requestsPerSecond: number;
  /** Gateway requests/s as a percentage of the baseline's (above 100: faster now). */
  gatewayPercentOfBaseline: number | null;
  /** Gateway p50 / p99 minus the baseline's, ms (negative: faster now). */
  p50DeltaMs: number;
  p99DeltaMs: number;
}

/** Our gateway against Portkey, both measured against the same direct path. */
export interface PortkeyComparison {
  /** Portkey p50 / p99 minus direct p50 / p99, ms. */
  addedP50Ms: number;
  addedP99Ms: number;
  requestsPerSecond: number;
  /** Our gateway's requests/s divided by Portkey's (the aim: at least 2.5). */
  throughputRatio: number | null;
  /** Our gateway's added p50 / p99 divided by Portkey's (the aim: below 0.5). */
  addedP50Ratio: number | null;
  addedP99Ratio: number | null;
}

/** Derives the comparisons for every (mode, concurrency) measured. */
export function compareTargets(cells: readonly CellResult[]): Comparison[] {
  const keys = [...new Set(cells.map((c) => `${c.mode}|${c.concurrency}`))];
  return keys.map((key) => {
    const [mode, concurrency] = key.split('|') as [Mode, string];
    const find = (target: CellResult['target']): CellResult | undefined =>
      cells.find((c) => c.target === target && c.mode === mode && c.concurrency === Number(concurrency));
    const gateway = find('gateway');
    const bare = find('bare');
    const direct = find('direct');
    const bareFetch = find('bare-fetch');
    return {
      mode,
      concurrency: Number(concurrency),
      gatewayPercentOfBare:
        gateway && bare && bare.requestsPerSecond > 0 ? (100 * gateway.requestsPerSecond) / bare.requestsPerSecond : null,
      gatewayAddedP99Ms: gateway && direct ? gateway.latencyMs.p99 - direct.latencyMs.p99 : null,
      bareAddedP99Ms: bare && direct ? bare.latencyMs.p99 - direct.latencyMs.p99 : null,
      gatewayPercentOfBareFetch:
        gateway && bareFetch && bareFetch.requestsPerSecond > 0 ? (100 * gateway.requestsPerSecond) / bareFetch.requestsPerSecond : null,
      gatewayAddedP50Ms: gateway && direct ? gateway.latencyMs.p50 - direct.latencyMs.p50 : null,
      portkey: comparePortkey(find('portkey'), gateway, direct),
      baseline: compareBaseline(find('baseline'), gateway),
    };
  });
}

function comparePortkey(
  portkey: CellResult | undefined,
  gateway: CellResult | undefined,
  direct: CellResult | undefined,
): PortkeyComparison | null {
  if (!portkey || !direct) return null;
  const addedP50Ms = portkey.latencyMs.p50 - direct.latencyMs.p50;
  const addedP99Ms = portkey.latencyMs.p99 - direct.latencyMs.p99;
  const ratio = (ours: number, theirs: number): number | null => (theirs > 0 ? ours / theirs : null);
  return {
    addedP50Ms,
    addedP99Ms,
    requestsPerSecond: portkey.requestsPerSecond,
    throughputRatio: gateway ? ratio(gateway.requestsPerSecond, portkey.requestsPerSecond) : null,
    addedP50Ratio: gateway ? ratio(gateway.latencyMs.p50 - direct.latencyMs.p50, addedP50Ms) : null,
    addedP99Ratio: gateway ? ratio(gateway.latencyMs.p99 - direct.latencyMs.p99, addedP99Ms) : null,
  };
}

function compareBaseline(baseline: CellResult | undefined, gateway: CellResult | undefined): BaselineComparison | null {
  if (!baseline || !gateway) return null;
  return {
    requestsPerSecond: baseline.requestsPerSecond,
    gatewayPercentOfBaseline: baseline.requestsPerSecond > 0 ? (100 * gateway.requestsPerSecond) / baseline.requestsPerSecond : null,
    p50DeltaMs: gateway.latencyMs.p50 - baseline.latencyMs.p50,
    p99DeltaMs: gateway.latencyMs.p99 - baseline.latencyMs.p99,
  };
}
