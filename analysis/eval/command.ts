import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { priceKeyOf, type GatewayConfig } from '../../schema/config.ts';
import { priceOf } from '../../schema/pricing.ts';
import type { LoadedConfig } from '../../stores/config/current.ts';
import { openDatabase } from '../../stores/sqlite/database.ts';
import { AnalysisSettings } from '../settings.ts';
import type { EvalArgs } from './args.ts';
import { parseDataset, type GoldenCase } from './dataset.ts';
import { createProgress, type Progress } from './progress.ts';
import { buildReport, type EvalReport } from './report.ts';
import { reportMarkdown } from './report-markdown.ts';
import { runEvaluation, type RunSummary } from './runner.ts';
import { writeReportFiles } from './report-files.ts';
import { defaultRunId } from './run-id.ts';
import { pairKey, sqliteEvalStore, type EvalStore } from './store.ts';

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
  /** Set when a report in the output directory was kept and this one written beside it: why. */
  kept: string | null;
  /** Stored results `--fresh` discarded. */
  discarded: number;
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
  /** Notices before and after the run (reused results, a kept report); default: standard error. */
  log?: (line: string) => void;
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

/** Checks what can be checked before anything starts: the ids against the configuration, the dataset. */
export function checkArgs(args: EvalArgs, config: GatewayConfig): { cases: GoldenCase[]; datasetText: string } {
  const known = new Set(config.configs.map((c) => c.id));
  const unknown = args.configs.filter((id) => !known.has(id));
  if (unknown.length) throw new UsageError(`--configs: unknown configuration(s) ${unknown.join(', ')}; known: ${[...known].join(', ')}`);
  if (args.judge && !known.has(args.judge))
    throw new UsageError(`--judge: unknown configuration ${args.judge}; known: ${[...known].join(', ')}`);
  return selectCases(args);
}

/**
 * `--fresh` discards the run's stored results; otherwise, when some of the selected pairs are already finished,
 * says up front how many, from which run id, and how to start fresh.
 */
function prepareRun(store: EvalStore, args: EvalArgs, runId: string, cases: readonly GoldenCase[], log: (line: string) => void): number {
  if (args.fresh) {
    const discarded = store.discard(runId);
    if (discarded) log(`eval: --fresh: discarded ${discarded} stored results of run ${runId}`);
    return discarded;
  }
  const finished = store.finishedPairs(runId);
  const total = cases.length * args.configs.length;
  const reused = cases.reduce((n, c) => n + args.configs.filter((id) => finished.has(pairKey(c.testId, id))).length, 0);
  if (reused)
    log(
      `eval: reusing ${reused} of ${total} pairs already finished in run ${runId} (not called again); ` +
        "to start fresh, rerun with --fresh (discards that run's results) or another --run-id",
    );
  return 0;
}

/** Runs (or resumes) an evaluation against a gateway and writes `eval-report.json` and `eval-report.md`. */
export async function runEvalCommand(args: EvalArgs, io: EvalCommandIo): Promise<EvalCommandResult> {
  const config = io.config.config;
  const log = io.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const { cases, datasetText } = checkArgs(args, config);
  const runId =
    args['run-id'] ??
    defaultRunId(args.dataset, datasetText, args.configs, {
      gateway: args.gateway,
      judge: args.judge,
      judgeWeight: args['judge-weight'],
      gate: args.gate,
    });
  const db = openDatabase(args.store, { busyTimeoutMs: 5_000 });
  try {
    const store = sqliteEvalStore(db);
    const discarded = prepareRun(store, args, runId, cases, log);
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
        return c ? priceOf(config.pricing, priceKeyOf(c)) : undefined;
      },
      concurrency: args.concurrency,
      judge: args.judge ? { configId: args.judge, weight: args['judge-weight'] ?? 0 } : undefined,
      gate: args.gate,
      signal: io.signal,
      onStart: (skipped, total) => progress.start?.(skipped, total),
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
    const markdown = reportMarkdown(report);
    const files = writeReportFiles(args.out ?? join('reports', 'eval', runId), report, markdown, `Offline evaluation ${runId}`);
    if (files.kept) log(`eval: kept the existing report (${files.kept}); this run's report is ${files.jsonPath}`);
    return { runId, summary, report, ...files, discarded, markdown };
  } finally {
    db.close();
  }
}
