import type Database from 'better-sqlite3';
import { queryAssignments } from './assignment.ts';
import { queryArms, queryExperimentIds, queryOutcomes } from './experiments.ts';
import { queryCells } from './intent-config.ts';
import { queryPercentiles } from './quantiles.ts';
import { queryShadowPairs } from './shadow.ts';
import type { AnalysisSource } from './source.ts';

/** The analysis source over the embedded store; `close` closes the database only when `owned`. */
export function sqliteAnalysisSource(db: Database.Database, owned = false): AnalysisSource {
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
