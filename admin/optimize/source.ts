import { openAnalysisSource } from '../../analysis/queries/open-source.ts';
import { runAnalysis } from '../../analysis/report/build.ts';
import { AnalysisSettings } from '../../analysis/settings.ts';
import { readOfflineReport } from './offline.ts';
import type { OptimizeSource } from './routes.ts';

/** Where a node's optimiser reads its evidence. */
export interface LocalSourceOptions {
  /** The observations: the gateway's SQLite file, or a `postgres://` warehouse URL (as `npm run analysis --store`). */
  store: string;
  /** Warehouse schema, for a `postgres://` store. */
  schema?: string;
  /** Directory of the offline evaluation report (`eval-report.json`). */
  evalDir: string;
  /** Analysis settings over the defaults (decision rules, daily volume). */
  settings?: Partial<AnalysisSettings>;
}

/** The analysis job's own code over the given observations, and the newest offline evaluation report on disk. */
export function localOptimizeSource(o: LocalSourceOptions): OptimizeSource {
  const settings = AnalysisSettings.parse(o.settings ?? {});
  return {
    async analyse(config, audit) {
      const source = await openAnalysisSource(o.store, o.schema);
      try {
        return await runAnalysis({ source, config, settings, audit });
      } finally {
        await source.close();
      }
    },
    offline: async () => readOfflineReport(o.evalDir),
  };
}
