import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { writeDashboard } from '../report/write-dashboard.ts';
import { basename, join } from 'node:path';
import { priceKeyOf, type GatewayConfig } from '../../schema/config.ts';
import type { LoadedConfig } from '../../stores/config/current.ts';
import { openDatabase } from '../../stores/sqlite/database.ts';
import { AnalysisSettings } from '../settings.ts';
import type { EvalArgs } from './args.ts';
import { parseDataset, type GoldenCase } from './dataset.ts';
import { createProgress, type Progress } from './progress.ts';
import { buildReport, type EvalReport } from './report.ts';
import { reportMarkdown } from './report-markdown.ts';
import { runEvaluation, type RunSummary } from './runner.ts';
import { DEFAULT_GATE } from './scorer.ts';
import { sqliteEvalStore } from './store.ts';

/** A usage error: bad option values (exit code 2). */
export class UsageError extends Error {}

/** What a finished command produced. */
export interface EvalCommandResult {
  runId: string;
  summary: RunSummary;
  report: EvalReport;
  jsonPath: string;
  markdownPath: string;
  /** The self-contained dashboard page written beside the report. */
  dashboardPath: string;
  markdown: string;
}

/** Side inputs of the command (a gateway URL, the configuration, and for tests an abort signal). */
export interface EvalCommandIo {
  gatewayUrl: string;
  /** The routing configuration the ids and prices are taken from (the config store's, or `--config`'s). */
  config: LoadedConfig;
  apiKey?: string;
  signal?: AbortSignal;
  progress?: Progress;
  /** Delay before the first retry (default 250 ms). */
  retryBaseDelayMs?: number;
}

/** Loads the dataset and applies the intent filter and the per-intent limit. */
export function selectCases(args: EvalArgs): { cases: GoldenCase[]; datasetText: string } {
  let datasetText: string;
  try {
    datasetText = readFileSync(args.dataset, 'utf8');
  } catch (error) {
    throw new UsageError(`--dataset: cannot read ${args.dataset}: ${(error as Error).message}`);
  }
  const parsed = parseDataset(datasetText);
  if (!parsed.ok)
    throw new UsageError(
      `--dataset: ${args.dataset} is invalid:\n${parsed.errors
        .slice(0, 20)
        .map((e) => `line ${e.line}: ${e.message}`)
        .join('\n')}`,
    );
  const perIntent = new Map<string, number>();
  const cases = parsed.cases.filter((c) => {
    if (args.intents && !args.intents.includes(c.intent)) return false;
    const n = (perIntent.get(c.intent) ?? 0) + 1;
    perIntent.set(c.intent, n);
    return args['limit-per-intent'] === undefined || n <= args['limit-per-intent'];
  });
  if (cases.length === 0) throw new UsageError('--intents: no case of the dataset matches');
  return { cases, datasetText };
}

/** Options that change how answers are scored; results scored differently must not share a run. */
export interface ScoringOptions {
  judge?: string;
  judgeWeight?: number;
  gate?: number;
}

/**
 * The default run id: dataset name, configurations and a hash of the dataset, so a rerun resumes; scoring options
 * that differ from their defaults (`--judge`, a non-zero `--judge-weight` with a judge, `--gate` other than 0.75)
 * are appended, so a rerun with other scoring starts its own run instead of mixing scores. The id for the
 * defaults has no suffix.
 */
export function defaultRunId(datasetPath: string, datasetText: string, configs: readonly string[], scoring: ScoringOptions = {}): string {
  const hash = createHash('sha256').update(datasetText).digest('hex').slice(0, 8);
  const suffix: string[] = [];
  if (scoring.judge) {
    suffix.push(`judge_${scoring.judge}`);
    if (scoring.judgeWeight) suffix.push(`jw${scoring.judgeWeight}`);
  }
  if (scoring.gate !== undefined && scoring.gate !== DEFAULT_GATE) suffix.push(`gate${scoring.gate}`);
  return [`${basename(datasetPath).replace(/\.jsonl$/, '')}-${configs.join('+')}-${hash}`, ...suffix].join('-');
}

/** Checks what can be checked before anything starts: the ids against the configuration, the dataset. */
export function checkArgs(args: EvalArgs, config: GatewayConfig): { cases: GoldenCase[]; datasetText: string } {
  const known = new Set(config.configs.map((c) => c.id));
  const unknown = args.configs.filter((id) => !known.has(id));
  if (unknown.length) throw new UsageError(`--configs: unknown configuration(s) ${unknown.join(', ')}; known: ${[...known].join(', ')}`);
  if (args.judge && !known.has(args.judge))
    throw new UsageError(`--judge: unknown configuration ${args.judge}; known: ${[...known].join(', ')}`);
  return selectCases(args);
}

/** Runs (or resumes) an evaluation against a gateway and writes `eval-report.json` and `eval-report.md`. */
export async function runEvalCommand(args: EvalArgs, io: EvalCommandIo): Promise<EvalCommandResult> {
  const config = io.config.config;
  const { cases, datasetText } = checkArgs(args, config);
  const runId =
    args['run-id'] ??
    defaultRunId(args.dataset, datasetText, args.configs, { judge: args.judge, judgeWeight: args['judge-weight'], gate: args.gate });
  const db = openDatabase(args.store, { busyTimeoutMs: 5_000 });
  try {
    const store = sqliteEvalStore(db);
    const progress = io.progress ?? createProgress();
    let errors = 0;
    const summary = await runEvaluation({
      client: { baseUrl: io.gatewayUrl, apiKey: io.apiKey, attempts: args.attempts, baseDelayMs: io.retryBaseDelayMs },
      store,
      runId,
      dataset: args.dataset,
      cases,
      configs: args.configs,
      priceOf: (id) => {
        const c = config.configs.find((x) => x.id === id);
        return c ? config.pricing[priceKeyOf(c)] : undefined;
      },
      concurrency: args.concurrency,
      judge: args.judge ? { configId: args.judge, weight: args['judge-weight'] ?? 0 } : undefined,
      gate: args.gate,
      signal: io.signal,
      onResult: (r, done, total) => progress.update(done, total, r.status === 'error' ? ++errors : errors),
    });
    progress.finish();
    const selected = new Set(cases.map((c) => c.testId));
    const results = store.results(runId).filter((r) => selected.has(r.testId) && args.configs.includes(r.configId));
    const casesPerIntent: Record<string, number> = {};
    for (const c of cases) casesPerIntent[c.intent] = (casesPerIntent[c.intent] ?? 0) + 1;
    const settings = AnalysisSettings.parse({ qualityGate: args.gate });
    const report = buildReport({
      runId,
      datasetPath: args.dataset,
      casesPerIntent,
      configs: args.configs,
      results,
      settings,
      configSource: io.config.origin,
    });
    const outDir = args.out ?? join('reports', 'eval', runId);
    mkdirSync(outDir, { recursive: true });
    const markdown = reportMarkdown(report);
    const jsonPath = join(outDir, 'eval-report.json');
    const markdownPath = join(outDir, 'eval-report.md');
    writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(markdownPath, markdown);
    const dashboardPath = writeDashboard(jsonPath, { evaluation: report, title: `Offline evaluation ${runId}` });
    return { runId, summary, report, jsonPath, markdownPath, dashboardPath, markdown };
  } finally {
    db.close();
  }
}
