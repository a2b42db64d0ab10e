import type Database from 'better-sqlite3';
import { queryAssignments } from './assignment.ts';
import { queryArms, queryExperimentIds, queryOutcomes } from './experiments.ts';
import { queryCells } from './intent-config.ts';
import { queryPercentiles } from './quantiles.ts';
import { queryShadowPairs } from './shadow.ts';
import type { AnalysisSource } from './source.ts';
import {
  hasAnalysisIndexes,
  indexedArms,
  indexedAssignments,
  indexedCells,
  indexedExperimentIds,
  indexedOutcomes,
  indexedPercentiles,
} from './sqlite-indexed.ts';

/**
 * The analysis source over the embedded store; `close` closes the database only when `owned`. It reads through the
 * analysis indexes when the store has them (`sqlite-indexed.ts`), else (the default: they are built only by
 * `npm run analysis -- --build-indexes`) by the reference reads, which sort the live rows; both give the same figures. `reference` forces
 * the reference reads.
 */
export function sqliteAnalysisSource(db: Database.Database, owned = false, reference = false): AnalysisSource {
  if (reference || !hasAnalysisIndexes(db)) return referenceSource(db, owned);
  return {
    ...referenceSource(db, owned),
    cells: async (filter, gates, defaultGate) => indexedCells(db, filter, gates, defaultGate),
    percentiles: async (filter, column) => indexedPercentiles(db, filter, column),
    experimentIds: async (filter) => indexedExperimentIds(db, filter),
    arms: async (filter, id) => indexedArms(db, filter, id),
    outcomes: async (filter, id) => indexedOutcomes(db, filter, id),
    assignments: async (filter, id, boundaries) => indexedAssignments(db, filter, id, boundaries),
  };
}

function referenceSource(db: Database.Database, owned: boolean): AnalysisSource {
  return {
    kind: 'sqlite',
    cells: async (filter, gates, defaultGate) => queryCells(db, filter, gates, defaultGate),
    percentiles: async (filter, column) => queryPercentiles(db, filter, column, ['intent', 'config_id']),
    experimentIds: async (filter) => queryExperimentIds(db, filter),
    arms: async (filter, id) => queryArms(db, filter, id),
    outcomes: async (filter, id) => queryOutcomes(db, filter, id),
    assignments: async (filter, id, boundaries) => queryAssignments(db, filter, id, boundaries),
    shadowPairs: async (filter) => queryShadowPairs(db, filter),
    close: async () => void (owned && db.close()),
  };
}
