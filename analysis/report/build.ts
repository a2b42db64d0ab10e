import type { AuditEntry } from '../../schema/admin.ts';
import type { GatewayConfig, Route } from '../../schema/config.ts';
import type { ConfigOrigin } from '../../stores/config/current.ts';
import { historyBoundaries } from '../assignment-check.ts';
import { splitHistory } from '../assignment-history.ts';
import { observedMix } from '../cost.ts';
import { analyzeExperiment, correctAndDecide, type ExperimentReport } from '../experiment.ts';
import { unanalysedExperiment, type UnanalysedExperiment } from '../unanalysed.ts';
import { buildRow, type IntentConfigRow } from '../intent-table.ts';
import type { RowFilter } from '../queries/filter.ts';
import { groupKey } from '../queries/quantiles.ts';
import { byKeys, type AnalysisSource } from '../queries/source.ts';
import { recommendRoute, type Recommendation } from '../recommend.ts';
import type { AnalysisSettings } from '../settings.ts';
import { simulateMonitoring, type MonitoringOutcome } from '../stats/monitoring-simulation.ts';
import type { GoldenCase } from '../eval/dataset.ts';
import { compareShadows, type ShadowComparison } from '../shadow.ts';

/** What to analyse. */
export interface AnalysisInput {
  /** Where observations and feedback are read (embedded store or warehouse). */
  source: AnalysisSource;
  config: GatewayConfig;
  /** Where `config` was read (store and version, or file), stated in the report. */
  configSource?: ConfigOrigin;
  settings: AnalysisSettings;
  /** Route whose table is compared; default: the first route. */
  routeName?: string;
  /** Epoch ms; default: all rows. */
  since?: number;
  /** Only this experiment in the experiments section. */
  experimentId?: string;
  /**
   * The config store's audit log, when it can be read: it gives the split in force at any time, for observations
   * written before the gateway recorded each request's expected share.
   */
  audit?: AuditEntry[];
  /** Golden cases the shadow comparison scores answers against (the offline evaluator's dataset). */
  goldenCases?: readonly GoldenCase[];
}

/** The whole report (the JSON the job writes). */
export interface AnalysisReport {
  generatedAt: string;
  /** The configuration the experiments' splits, the current table and the prices were taken from. */
  configSource: ConfigOrigin | null;
  since: string | null;
  settings: AnalysisSettings;
  liveRequests: number;
  intents: IntentConfigRow[];
  experiments: ExperimentReport[];
  /** Experiments seen in live traffic that could not be compared (an arm empty or short of scored sessions). */
  unanalysed: UnanalysedExperiment[];
  recommendation: Recommendation | null;
  /** A/A calibration of continuous monitoring under the configured sequential tuning. */
  monitoring: { experiments: number; lookEvery: number; maxPerArm: number; aa: MonitoringOutcome };
  /** Shadow candidates beside the live configuration, per intent (empty when the source keeps no shadow answers). */
  shadow: ShadowComparison[];
}

async function intentRows(source: AnalysisSource, filter: RowFilter, s: AnalysisSettings): Promise<IntentConfigRow[]> {
  const cells = (await source.cells(filter, s.intentGates, s.qualityGate)).sort(
    byKeys(
      (c) => c.intent,
      (c) => c.configId,
    ),
  );
  const latency = await source.percentiles(filter, 'latency_ms');
  const ttft = await source.percentiles(filter, 'ttft_ms');
  return cells.map((c) => {
    const key = groupKey(c.intent, c.configId);
    return buildRow(c, latency.get(key), ttft.get(key), s.alpha, s.minScoredForChoice);
  });
}

async function experimentReports(
  input: AnalysisInput,
  filter: RowFilter,
  mix: Record<string, number>,
): Promise<{ experiments: ExperimentReport[]; unanalysed: UnanalysedExperiment[] }> {
  const { source, config, settings: s } = input;
  // Every experiment enters the multiplicity family, also when one is asked for: the same data must give the
  // same decision whether the run reports one experiment or all of them.
  const found = await source.experimentIds(filter);
  const ids = [...new Set(input.experimentId ? [...found, input.experimentId] : found)].sort(byKeys((id) => id));
  const monthly = s.dailyVolume * s.daysPerMonth;
  const reports: ExperimentReport[] = [];
  const unanalysed: UnanalysedExperiment[] = [];
  for (const id of ids) {
    const declared = config.experiments.find((e) => e.id === id);
    const intent = declared?.intent ?? null;
    const share = intent === null ? (declared ? 1 : null) : (mix[intent] ?? 0);
    const history = input.audit ? splitHistory(input.audit, id) : [];
    const meta = { id, intent, split: declared?.split ?? null, history };
    const arms = (await source.arms(filter, id)).sort(byKeys((a) => a.arm));
    const assignment = await source.assignments(filter, id, historyBoundaries(history));
    const report = analyzeExperiment(meta, arms, await source.outcomes(filter, id), s, share === null ? null : share * monthly, assignment);
    if (report) reports.push(report);
    else unanalysed.push(unanalysedExperiment(meta, arms, s, assignment));
  }
  correctAndDecide(reports, s);
  const asked = (e: { id: string }): boolean => !input.experimentId || e.id === input.experimentId;
  return { experiments: reports.filter(asked), unanalysed: unanalysed.filter(asked) };
}

/** Runs every part of the analysis against one source. */
export async function runAnalysis(input: AnalysisInput): Promise<AnalysisReport> {
  const s = input.settings;
  const filter: RowFilter = { since: input.since ?? 0 };
  const intents = await intentRows(input.source, filter, s);
  const mix = s.trafficMix ?? observedMix(intents);
  const route: Route | undefined = input.routeName ? input.config.routes.find((r) => r.name === input.routeName) : input.config.routes[0];
  if (input.routeName && !route) throw new Error(`unknown route "${input.routeName}"`);
  const monitoring = { experiments: 1000, lookEvery: 100, maxPerArm: 2000 };
  const aa = simulateMonitoring({
    ...monitoring,
    mean: 0.8,
    sd: s.sequentialSd,
    effect: 0,
    alpha: s.alpha,
    nStar: s.sequentialNStar,
    seed: 1,
  });
  return {
    generatedAt: new Date().toISOString(),
    configSource: input.configSource ?? null,
    since: input.since ? new Date(input.since).toISOString() : null,
    settings: s,
    liveRequests: intents.reduce((n, r) => n + r.requests, 0),
    intents,
    ...(await experimentReports(input, filter, mix)),
    recommendation: route && intents.length ? recommendRoute(intents, route, mix, s) : null,
    monitoring: { ...monitoring, aa },
    shadow: input.source.shadowPairs ? compareShadows(await input.source.shadowPairs(filter), input.goldenCases ?? [], s.alpha) : [],
  };
}
