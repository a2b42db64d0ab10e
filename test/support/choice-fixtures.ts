import { insufficientData, type IntentConfigRow } from '../../analysis/intent-table.ts';
import { recommendRoute } from '../../analysis/recommend.ts';
import type { AnalysisReport } from '../../analysis/report/build.ts';
import { AnalysisSettings } from '../../analysis/settings.ts';
import { Route } from '../../schema/config.ts';

/** Figures of one (intent, configuration) row; the rest of the row follows from them. */
export interface RowFigures {
  requests: number;
  scored: number;
  quality: number;
  passRate: number;
  cost: number;
  costSd: number;
  p95: number;
}

/** A report row as the job builds it, marked against a minimum of 30 scored requests. */
export function intentRow(intent: string, configId: string, f: RowFigures, minScored = 30): IntentConfigRow {
  return {
    intent,
    configId,
    requests: f.requests,
    errorRate: 0,
    fallbackShare: 0,
    guardrailRate: 0,
    scored: f.scored,
    meanQuality: f.scored ? f.quality : null,
    qualityCi: f.scored > 1 ? [f.quality - 0.02, f.quality + 0.02] : null,
    passRate: f.scored ? f.passRate : null,
    costPerRequest: f.cost,
    costSd: f.costSd,
    costPerSatisfactory: f.scored ? f.cost / f.passRate : null,
    qualityPer1kTokens: null,
    latencyMs: f.scored ? { 50: f.p95 / 2, 95: f.p95, 99: f.p95 * 1.2 } : null,
    ttftMs: null,
    qualityPerP95Second: f.scored ? f.quality / (f.p95 / 1000) : null,
    insufficient: insufficientData(f.scored, minScored),
  };
}

/**
 * The demo's three cases (figures: requests, scored, quality, pass rate, cost/request, its sd, P95 ms): chitchat, where haiku-35 passes on 29 scored requests at a third of the cost;
 * return_request, with 21 requests and nothing at the minimum; checkout_help, where sonnet-3 is $0.00001
 * cheaper than the better sonnet-35-v2 at the same list price.
 */
export function demoRows(): IntentConfigRow[] {
  type Figures = [number, number, number, number, number, number, number];
  const row = (intent: string, configId: string, ...[requests, scored, quality, passRate, cost, costSd, p95]: Figures) =>
    intentRow(intent, configId, { requests, scored, quality, passRate, cost, costSd, p95 });
  return [
    row('chitchat', 'haiku-35', 29, 29, 0.93, 1, 0.00052, 0.0002, 420),
    row('chitchat', 'sonnet-35-v1', 160, 158, 0.9, 0.96, 0.00155, 0.0005, 1100),
    row('return_request', 'sonnet-35-v1', 21, 21, 0.86, 0.9, 0.0041, 0.0011, 1900),
    row('checkout_help', 'sonnet-3', 70, 68, 0.84, 0.85, 0.00411, 0.0012, 2300),
    row('checkout_help', 'sonnet-35-v2', 66, 65, 0.91, 0.95, 0.00412, 0.0012, 2000),
  ];
}

/** The demo's route: Sonnet 3.5 v1 everywhere. */
export function demoRoute(): Route {
  const intents = ['chitchat', 'return_request', 'checkout_help'];
  const table = Object.fromEntries(intents.map((i) => [i, 'sonnet-35-v1']));
  return Route.parse({ name: 'mangaassist', intents, default: 'sonnet-35-v1', table });
}

/** A whole analysis report over `demoRows()`, with the default settings and no experiment. */
export function demoReport(): AnalysisReport {
  const settings = AnalysisSettings.parse({});
  const intents = demoRows();
  const mix = { chitchat: 0.5, return_request: 0.2, checkout_help: 0.3 };
  return {
    generatedAt: '2026-11-29T00:00:00.000Z',
    since: null,
    configSource: null,
    settings,
    liveRequests: intents.reduce((n, r) => n + r.requests, 0),
    intents,
    experiments: [],
    unanalysed: [],
    shadow: [],
    recommendation: recommendRoute(intents, demoRoute(), mix, settings),
    monitoring: {
      experiments: 1000,
      lookEvery: 100,
      maxPerArm: 2000,
      aa: { sequentialRate: 0.004, fixedPeekingRate: 0.2, fixedFinalRate: 0.05, meanDetectionPerArm: null },
    },
  };
}
