import { buildRow, type IntentConfigRow } from '../intent-table.ts';
import { PERCENTILES, type Percentiles } from '../queries/quantiles.ts';
import type { CellSums } from '../queries/intent-config.ts';
import { choiceRulesOf, type Shortage } from '../choice.ts';
import type { CostTie } from '../cost-tie.ts';
import { chooseForIntent } from '../recommend.ts';
import { AnalysisSettings } from '../settings.ts';
import type { ConfigOrigin } from '../../stores/config/current.ts';
import type { EvalResult } from './store.ts';
import { DIMENSIONS } from './weights.ts';
import { percentileOfSorted } from '../stats/nearest-rank.ts';

/** Dimensions reported per row: the rule-based ones and the judge's. */
export type ReportDimension = (typeof DIMENSIONS)[number] | 'judge';

/** A report row: the analysis job's per-intent, per-configuration row plus mean dimension scores. */
export type EvalRow = IntentConfigRow & { dimensions: Record<ReportDimension, number | null> };

/** The configuration chosen for an intent. */
export interface EvalChoice {
  intent: string;
  chosen: string | null;
  closest: string | null;
  front: string[];
  passing: string[];
  /** Configurations under the intent's minimum of scored requests (shown, never chosen). */
  insufficient: Shortage[];
  /** The cost tie broken by quality, if any. */
  tie: CostTie | null;
  reason: string;
}

/** The side-by-side report (`eval-report.json`). */
export interface EvalReport {
  generatedAt: string;
  /** The configuration the ids and prices were taken from. */
  configSource: ConfigOrigin | null;
  runId: string;
  dataset: { path: string; cases: number; intents: string[] };
  configs: string[];
  rows: EvalRow[];
  choices: EvalChoice[];
}

/** Inputs of `buildReport`. */
export interface ReportInput {
  runId: string;
  datasetPath: string;
  /** Cases per intent in the evaluated dataset (after any limit). */
  casesPerIntent: Record<string, number>;
  configs: readonly string[];
  results: readonly EvalResult[];
  /** Analysis settings (quality gate, pass rate, latency SLA, alpha); default: the MangaAssist values. */
  settings?: AnalysisSettings;
  /** Where the configuration (ids, prices) was read. */
  configSource?: ConfigOrigin;
  now?: Date;
}

/**
 * Builds rows with the analysis job's row builder (failed calls count as errors and are never scored),
 * then chooses per intent with the Pareto choice under the pass-rate gate and the latency SLA.
 */
export function buildReport(input: ReportInput): EvalReport {
  const settings = input.settings ?? AnalysisSettings.parse({});
  const intents = Object.keys(input.casesPerIntent).sort();
  // Small (limited) runs still choose: at most the job's minimum, at least half the intent's cases.
  const minScoredOf = (intent: string): number =>
    Math.max(1, Math.min(settings.minScoredForChoice, Math.ceil((input.casesPerIntent[intent] ?? 0) / 2)));
  const rows: EvalRow[] = [];
  for (const intent of intents) {
    for (const configId of input.configs) {
      const cell = input.results.filter((r) => r.intent === intent && r.configId === configId);
      if (cell.length === 0) continue;
      const gate = settings.intentGates[intent] ?? settings.qualityGate;
      const ok = cell.filter((r) => r.status === 'ok');
      const ttft = percentiles(ok.flatMap((r) => (r.ttftMs === null ? [] : [r.ttftMs])));
      const latency = percentiles(ok.map((r) => r.latencyMs));
      const row = buildRow(cellSums(intent, configId, cell, gate), latency, ttft, settings.alpha, minScoredOf(intent));
      rows.push({ ...row, dimensions: dimensionMeans(ok) });
    }
  }
  const choices = intents.map((intent): EvalChoice => {
    const { choice, insufficient, reason } = chooseForIntent(rows, intent, choiceRulesOf(settings, minScoredOf(intent)));
    return {
      intent,
      chosen: choice.chosen?.configId ?? null,
      closest: choice.closest?.configId ?? null,
      front: choice.front.map((c) => c.configId),
      passing: choice.passing,
      insufficient,
      tie: choice.tie,
      reason,
    };
  });
  const cases = Object.values(input.casesPerIntent).reduce((a, b) => a + b, 0);
  return {
    generatedAt: (input.now ?? new Date()).toISOString(),
    configSource: input.configSource ?? null,
    runId: input.runId,
    dataset: { path: input.datasetPath, cases, intents },
    configs: [...input.configs],
    rows,
    choices,
  };
}

function cellSums(intent: string, configId: string, cell: readonly EvalResult[], gate: number): CellSums {
  const sums: CellSums = {
    intent,
    configId,
    requests: cell.length,
    errors: 0,
    costUsd: 0,
    costSumSq: 0,
    unpriced: 0,
    scored: 0,
    qualitySum: 0,
    qualitySumSq: 0,
    passes: 0,
    scoredTokens: 0,
    guardrailed: 0,
  };
  for (const r of cell) {
    if (r.costUsd === null) sums.unpriced++;
    else {
      sums.costUsd += r.costUsd;
      sums.costSumSq += r.costUsd * r.costUsd;
    }
    if (r.status === 'error' || r.quality === null) {
      if (r.status === 'error') sums.errors++;
      continue;
    }
    sums.scored++;
    sums.qualitySum += r.quality;
    sums.qualitySumSq += r.quality * r.quality;
    if (r.quality >= gate) sums.passes++;
    sums.scoredTokens += r.inputTokens + r.outputTokens;
  }
  return sums;
}

/** Nearest-rank percentiles (rank ceil(p * n / 100), 1-based), the definition the analysis job's SQL uses. */
export function percentiles(values: readonly number[]): Percentiles | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const out = {} as Percentiles;
  for (const p of PERCENTILES) out[p] = percentileOfSorted(sorted, p)!;
  return out;
}

function dimensionMeans(ok: readonly EvalResult[]): Record<ReportDimension, number | null> {
  const mean = (values: number[]): number | null => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : null);
  const out = {} as Record<ReportDimension, number | null>;
  for (const d of DIMENSIONS) out[d] = mean(ok.flatMap((r) => (r.dimensions ? [r.dimensions[d]] : [])));
  out.judge = mean(ok.flatMap((r) => (r.judge === null ? [] : [r.judge])));
  return out;
}
