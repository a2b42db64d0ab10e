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
      gatewayPercentOfBare: gateway && bare && bare.requestsPerSecond > 0 ? (100 * gateway.requestsPerSecond) / bare.requestsPerSecond : null,
      gatewayAddedP99Ms: gateway && direct ? gateway.latencyMs.p99 - direct.latencyMs.p99 : null,
      bareAddedP99Ms: bare && direct ? bare.latencyMs.p99 - direct.latencyMs.p99 : null,
      gatewayPercentOfBareFetch: gateway && bareFetch && bareFetch.requestsPerSecond > 0 ? (100 * gateway.requestsPerSecond) / bareFetch.requestsPerSecond : null,
      gatewayAddedP50Ms: gateway && direct ? gateway.latencyMs.p50 - direct.latencyMs.p50 : null,
    };
  });
}
