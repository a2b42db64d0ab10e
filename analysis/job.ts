import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCurrentConfig, type ConfigChoice } from '../stores/config/current.ts';
import type { ConfigStoreChoice } from '../stores/config/index.ts';
import type { AuditEntry } from '../schema/admin.ts';
import { connectPostgresWarehouse, isWarehouseUrl } from '../stores/warehouse/postgres.ts';
import { DEFAULT_DATASET, readDataset, type GoldenCase } from './eval/dataset.ts';
import { openAnalysisSource } from './queries/open-source.ts';
import { runAnalysis, type AnalysisReport } from './report/build.ts';
import { writeDashboard } from './report/write-dashboard.ts';
import { renderMarkdown } from './report/markdown.ts';
import { writeAnalysisResults } from './report/warehouse.ts';
import { AnalysisSettings } from './settings.ts';

/** Options of one run of the analysis job. */
export interface JobOptions {
  /** SQLite database written by the gateway, or a `postgres://` warehouse URL filled by `npm run export`. */
  store: string;
  /** Warehouse schema (for a `postgres://` store or results target); default `public`. */
  schema?: string;
  /**
   * Warehouse URL the results are written to (tables `analysis_runs`, `analysis_intent_results`,
   * `analysis_experiment_results`). Default: the store itself when it is a warehouse; none for a SQLite store.
   */
  resultsTo?: string;
  /** Run id of the results rows; default a random UUID. */
  runId?: string;
  /**
   * A configuration file to analyse against instead of the config store (`--config`). Without it the
   * configuration (experiments and their splits, the current table, prices) is read from `configStore`.
   */
  configPath?: string;
  /** The config store the gateway routes by (the same `CONFIG_STORE` environment). */
  configStore?: ConfigStoreChoice;
  /** Read while the config store is still empty (no gateway started on it); default `config/mangaassist.json`. */
  fallbackConfigPath?: string;
  outDir: string;
  since?: string;
  experimentId?: string;
  routeName?: string;
  /** Overrides of the analysis settings (thresholds, daily volume, gates). */
  settings?: Partial<AnalysisSettings>;
  /** Golden dataset the shadow comparison scores answers against; default the offline evaluator's, when present. */
  goldenDataset?: string;
  /**
   * The config store's audit log, for the split history of observations that predate recorded shares; default:
   * the log of the store the configuration was read from (none for a file).
   */
  audit?: AuditEntry[];
}

/** Result of a run: the report and where it was written. */
export interface JobResult {
  report: AnalysisReport;
  markdown: string;
  jsonPath: string;
  markdownPath: string;
  /** The self-contained dashboard page written beside the report. */
  dashboardPath: string;
  /** Run id of the rows written to the warehouse, when results were written there. */
  warehouseRunId?: string;
}

/** The golden cases for scoring shadow pairs: the given dataset, else the default one when it exists (none otherwise). */
function goldenCasesOf(path: string | undefined): GoldenCase[] {
  if (path !== undefined) return readDataset(path);
  return existsSync(DEFAULT_DATASET) ? readDataset(DEFAULT_DATASET) : [];
}

/** The file override when there is one, otherwise the config store with the file as the empty-store fallback. */
function configChoice(o: JobOptions): ConfigChoice {
  if (o.configPath !== undefined) return { file: o.configPath };
  if (!o.configStore) throw new Error('no configuration: give a config store or a configuration file');
  return { store: o.configStore, fallbackFile: o.fallbackConfigPath ?? 'config/mangaassist.json' };
}

async function storeResults(
  url: string,
  schema: string | undefined,
  report: AnalysisReport,
  source: string,
  runId?: string,
): Promise<string> {
  const connected = await connectPostgresWarehouse({ url, schema });
  if (!connected.ok) throw new Error(`cannot write results: ${connected.error}`);
  try {
    return await writeAnalysisResults(connected.warehouse, report, source, runId);
  } finally {
    await connected.warehouse.close();
  }
}

/**
 * Reads the store (embedded SQLite or the warehouse), analyses it, writes `analysis.json` and `analysis.md` to
 * the output directory and, when a warehouse is the store or the results target, the results tables.
 */
export async function runJob(o: JobOptions): Promise<JobResult> {
  let since: number | undefined;
  if (o.since) {
    since = Date.parse(o.since);
    if (Number.isNaN(since)) throw new Error(`--since is not an ISO date: ${o.since}`);
  }
  const settings = AnalysisSettings.parse(o.settings ?? {});
  const { config, origin, audit } = await loadCurrentConfig(configChoice(o));
  const resultsTo = o.resultsTo ?? (isWarehouseUrl(o.store) ? o.store : undefined);
  if (resultsTo !== undefined && !isWarehouseUrl(resultsTo)) throw new Error(`results target is not a postgres:// URL: ${resultsTo}`);
  const source = await openAnalysisSource(o.store, o.schema);
  let report: AnalysisReport;
  try {
    const only = { experimentId: o.experimentId, routeName: o.routeName };
    const goldenCases = goldenCasesOf(o.goldenDataset);
    report = await runAnalysis({ source, config, configSource: origin, settings, since, ...only, audit: o.audit ?? audit, goldenCases });
  } finally {
    await source.close();
  }
  const markdown = renderMarkdown(report);
  mkdirSync(o.outDir, { recursive: true });
  const jsonPath = join(o.outDir, 'analysis.json');
  const markdownPath = join(o.outDir, 'analysis.md');
  writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(markdownPath, markdown);
  const dashboardPath = writeDashboard(jsonPath, { analysis: report });
  const warehouseRunId = resultsTo ? await storeResults(resultsTo, o.schema, report, source.kind, o.runId) : undefined;
  return { report, markdown, jsonPath, markdownPath, dashboardPath, ...(warehouseRunId ? { warehouseRunId } : {}) };
}
