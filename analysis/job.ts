import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditEntry } from '../schema/admin.ts';
import { GatewayConfig, formatIssues } from '../schema/config.ts';
import { connectPostgresWarehouse, isWarehouseUrl } from '../stores/warehouse/postgres.ts';
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
  /** Routing configuration (experiments, current table, pricing). */
  configPath: string;
  outDir: string;
  since?: string;
  experimentId?: string;
  routeName?: string;
  /** Overrides of the analysis settings (thresholds, daily volume, gates). */
  settings?: Partial<AnalysisSettings>;
  /** The config store's audit log (`readAuditLog`), for the split history of observations that predate recorded shares. */
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

function loadConfig(path: string): GatewayConfig {
  const parsed = GatewayConfig.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) throw new Error(`invalid configuration ${path}:\n${formatIssues(parsed.error)}`);
  return parsed.data;
}

async function storeResults(url: string, schema: string | undefined, report: AnalysisReport, source: string, runId?: string): Promise<string> {
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
  const config = loadConfig(o.configPath);
  const resultsTo = o.resultsTo ?? (isWarehouseUrl(o.store) ? o.store : undefined);
  if (resultsTo !== undefined && !isWarehouseUrl(resultsTo)) throw new Error(`results target is not a postgres:// URL: ${resultsTo}`);
  const source = await openAnalysisSource(o.store, o.schema);
  let report: AnalysisReport;
  try {
    report = await runAnalysis({ source, config, settings, since, experimentId: o.experimentId, routeName: o.routeName, audit: o.audit });
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
