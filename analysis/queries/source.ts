import type { AssignmentCounts } from './assignment.ts';
import type { ArmSums, OutcomeSums } from './experiments.ts';
import type { RowFilter } from './filter.ts';
import type { CellSums } from './intent-config.ts';
import type { Percentiles } from './quantiles.ts';
import type { ShadowPairRow } from './shadow.ts';

/**
 * Where the analysis reads its sufficient statistics: the embedded SQLite store or the warehouse. Every
 * implementation applies the same rules (live rows with a configuration, failed requests never scored, the
 * feedback value in force is the latest by event time then by arrival, nearest-rank percentiles of
 * successful requests), so the same data gives the same report.
 */
export interface AnalysisSource {
  /** `sqlite` or `postgres`, recorded with the results. */
  readonly kind: 'sqlite' | 'postgres';
  /** Sums per (intent, configuration); a pass is a quality at or above the intent's gate. */
  cells(filter: RowFilter, gates: Record<string, number>, defaultGate: number): Promise<CellSums[]>;
  /** Nearest-rank percentiles of a column per (intent, configuration), keyed by `groupKey(intent, configId)`. */
  percentiles(filter: RowFilter, column: 'latency_ms' | 'ttft_ms'): Promise<Map<string, Percentiles>>;
  /** Experiment ids seen in live traffic. */
  experimentIds(filter: RowFilter): Promise<string[]>;
  /** Request- and session-level sums per arm of one experiment. */
  arms(filter: RowFilter, experimentId: string): Promise<ArmSums[]>;
  /** Session outcomes per arm of one experiment. */
  outcomes(filter: RowFilter, experimentId: string): Promise<OutcomeSums[]>;
  /** Sessions of one experiment by the assignment of their first request; `boundaries` (epoch ms) number the periods. */
  assignments(filter: RowFilter, experimentId: string, boundaries: readonly number[]): Promise<AssignmentCounts[]>;
  /** Shadow observations with their live requests and kept texts; absent where the store keeps no shadow answers. */
  shadowPairs?(filter: RowFilter): Promise<ShadowPairRow[]>;
  close(): Promise<void>;
}

/** Orders by code unit, the same on every source (SQL collations differ between engines). */
export function byKeys<T>(...keys: ((row: T) => string)[]): (a: T, b: T) => number {
  return (a, b) => {
    for (const key of keys) {
      const x = key(a);
      const y = key(b);
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  };
}
