import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GatewayConfig, formatIssues } from '../schema/config.ts';
import { openDatabase } from '../stores/sqlite/database.ts';
import { runAnalysis, type AnalysisReport } from './report/build.ts';
import { renderMarkdown } from './report/markdown.ts';
import { AnalysisSettings } from './settings.ts';

/** Options of one run of the analysis job. */
export interface JobOptions {
  /** SQLite database written by the gateway. */
  store: string;
  /** Routing configuration (experiments, current table, pricing). */
  configPath: string;
  outDir: string;
  since?: string;
  experimentId?: string;
  routeName?: string;
  /** Overrides of the analysis settings (thresholds, daily volume, gates). */
  settings?: Partial<AnalysisSettings>;
}

/** Result of a run: the report and where it was written. */
export interface JobResult {
  report: AnalysisReport;
  markdown: string;
  jsonPath: string;
  markdownPath: string;
}

function loadConfig(path: string): GatewayConfig {
  const parsed = GatewayConfig.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) throw new Error(`invalid configuration ${path}:\n${formatIssues(parsed.error)}`);
  return parsed.data;
}

/** Reads the store, analyses it and writes `analysis.json` and `analysis.md` to the output directory. */
export function runJob(o: JobOptions): JobResult {
  if (!existsSync(o.store)) throw new Error(`no database at ${o.store}`);
  let since: number | undefined;
  if (o.since) {
    since = Date.parse(o.since);
    if (Number.isNaN(since)) throw new Error(`--since is not an ISO date: ${o.since}`);
  }
  const settings = AnalysisSettings.parse(o.settings ?? {});
  const db = openDatabase(o.store, { readonly: true });
  try {
    const report = runAnalysis({ db, config: loadConfig(o.configPath), settings, since, experimentId: o.experimentId, routeName: o.routeName });
    const markdown = renderMarkdown(report);
    mkdirSync(o.outDir, { recursive: true });
    const jsonPath = join(o.outDir, 'analysis.json');
    const markdownPath = join(o.outDir, 'analysis.md');
    writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(markdownPath, markdown);
    return { report, markdown, jsonPath, markdownPath };
  } finally {
    db.close();
  }
}
