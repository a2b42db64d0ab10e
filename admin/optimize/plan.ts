import type { IntentConfigRow } from '../../analysis/intent-table.ts';
import type { IntentChoice, Recommendation } from '../../analysis/recommend.ts';
import type { AnalysisSettings } from '../../analysis/settings.ts';
import type { GatewayConfig } from '../../schema/config.ts';
import type { CanaryPlan } from '../canary/schema.ts';
import { offlineFigures, type ArmEvidence, type OfflineReport } from './offline.ts';

/** What a canary's start rests on: live observations, or the offline evaluation as a prior. */
export type StartBasis = 'live' | 'offline-prior';

/** Why an intent gets no canary. */
export type SkipCode = 'in-force' | 'no-evidence' | 'experiment' | 'canary' | 'live-disagrees' | 'unknown-config';

/** The decision rules' minimums the plan was made under (from the analysis settings). */
export interface Minimums {
  minScored: number;
  minPassRate: number;
  maxP95LatencyMs: number;
  qualityGate: number;
}

/** A canary the plan proposes: baseline = the configuration in force, candidate = the recommended one. */
export interface CanaryStep {
  action: 'canary';
  route: string;
  intent: string;
  canaryId: string;
  baseline: string;
  candidate: string;
  startRestsOn: StartBasis;
  /** Promotion always rests on the canary's live gates, whatever started it. */
  promotionRestsOn: 'live canary gates';
  /** The intent's share of traffic in the projection. */
  share: number;
  /** Projected monthly saving (baseline minus candidate cost), null when a cost is unknown. */
  monthlySavingUsd: number | null;
  /** Where the projected costs come from. */
  savingFrom: 'live' | 'offline' | null;
  reason: string;
  evidence: { live: { baseline: ArmEvidence | null; candidate: ArmEvidence | null }; offline: OfflineEvidence | null };
}

/** An intent left as it is, and why. */
export interface SkipStep {
  action: 'skip';
  route: string;
  intent: string;
  current: string;
  recommended: string;
  code: SkipCode;
  reason: string;
}

/** One step per intent of the route. */
export type PlanStep = CanaryStep | SkipStep;

/** The offline evaluation's figures behind a start on a prior. */
export interface OfflineEvidence {
  runId: string;
  baseline: ArmEvidence | null;
  candidate: ArmEvidence | null;
}

/** What `npm run optimize` and `POST /admin/optimize` answer, and what `--apply` records in the audit log. */
export interface OptimizePlan {
  generatedAt: string;
  route: string;
  minimums: Minimums;
  dailyVolume: number;
  daysPerMonth: number;
  /** The plan every proposed canary is started with. */
  canaryPlan: CanaryPlan;
  steps: PlanStep[];
  /** Sum of the proposed canaries' known savings. */
  projectedMonthlySavingUsd: number;
  /** The offline evaluation run consulted, if any. */
  offlineRunId: string | null;
}

/** What the planner reads: the analysis result, the configuration in force, the offline evaluation if any. */
export interface PlanInput {
  recommendation: Recommendation;
  rows: readonly IntentConfigRow[];
  settings: AnalysisSettings;
  config: GatewayConfig;
  offline: OfflineReport | null;
  canaryPlan: CanaryPlan;
  now: number;
}

/** A row's live figures. */
export function liveFigures(rows: readonly IntentConfigRow[], intent: string, configId: string): ArmEvidence | null {
  const r = rows.find((x) => x.intent === intent && x.configId === configId);
  if (!r) return null;
  return {
    configId,
    requests: r.requests,
    scored: r.scored,
    errorRate: r.errorRate,
    meanQuality: r.meanQuality,
    passRate: r.passRate,
    p95LatencyMs: r.latencyMs?.[95] ?? null,
    costPerRequest: r.costPerRequest,
  };
}

/** The running (or paused) experiment or canary of a route that covers `intent`, as a skip reason. */
function blocker(config: GatewayConfig, route: string, intent: string): { code: SkipCode; reason: string } | null {
  const covers = (r: { route: string; intent?: string | undefined; status: string }) =>
    r.route === route && r.status !== 'stopped' && (r.intent === undefined || r.intent === intent);
  const experiment = config.experiments.find(covers);
  if (experiment)
    return {
      code: 'experiment',
      reason: `experiment "${experiment.id}" is ${experiment.status} on ${route}/${experiment.intent ?? '*'}: never overridden; conclude or stop it first`,
    };
  const canary = config.canaries.find(covers);
  if (canary)
    return {
      code: 'canary',
      reason: `canary "${canary.id}" is ${canary.status} on ${route}/${canary.intent ?? '*'} (${canary.baseline} -> ${canary.candidate}): never overridden`,
    };
  return null;
}

/** A canary id not taken by any experiment or canary in the configuration nor earlier in this plan. */
function freshId(config: GatewayConfig, taken: Set<string>, intent: string): string {
  const base = `optimize-${intent.slice(0, 48)}`;
  const used = (id: string) => taken.has(id) || config.canaries.some((c) => c.id === id) || config.experiments.some((e) => e.id === id);
  let id = base;
  for (let n = 2; used(id); n++) id = `${base}-${n}`;
  taken.add(id);
  return id;
}

function saving(share: number, input: PlanInput, baselineCost: number | null | undefined, candidateCost: number | null | undefined) {
  if (baselineCost == null || candidateCost == null) return null;
  return share * input.settings.dailyVolume * input.settings.daysPerMonth * (baselineCost - candidateCost);
}

function skipStep(route: string, choice: IntentChoice, current: string, code: SkipCode, reason: string): SkipStep {
  return { action: 'skip', route, intent: choice.intent, current, recommended: choice.recommended, code, reason };
}

const usd = (x: number | null): string => (x === null ? 'unknown' : `${x < 0 ? '-' : ''}$${Math.abs(x).toFixed(2)}`);

/** The candidate for an intent and what it rests on; a skip when there is none. */
function candidateOf(
  input: PlanInput,
  choice: IntentChoice,
  current: string,
): Omit<CanaryStep, 'action' | 'route' | 'canaryId'> | SkipStep {
  const { recommendation: rec, rows, settings } = input;
  const route = rec.route.name;
  const intent = choice.intent;
  const skip = (code: SkipCode, reason: string) => skipStep(route, choice, current, code, reason);
  const share = rec.mix[intent] ?? 0;
  const base = { intent, baseline: current, share, promotionRestsOn: 'live canary gates' as const };
  if (choice.recommended !== current && choice.passing.includes(choice.recommended)) {
    const baseline = liveFigures(rows, intent, current);
    const candidate = liveFigures(rows, intent, choice.recommended);
    const monthly = saving(share, input, baseline?.costPerRequest, candidate?.costPerRequest);
    return {
      ...base,
      candidate: choice.recommended,
      startRestsOn: 'live',
      monthlySavingUsd: monthly,
      savingFrom: monthly === null ? null : 'live',
      reason: `live: ${choice.reason}`,
      evidence: { live: { baseline, candidate }, offline: null },
    };
  }
  const offline = input.offline;
  const prior = offline?.choices.find((c) => c.intent === intent);
  if (offline && prior?.chosen && prior.chosen !== current) {
    const liveCandidate = liveFigures(rows, intent, prior.chosen);
    if (liveCandidate && liveCandidate.scored >= settings.minScoredForChoice)
      return skip(
        'live-disagrees',
        `the offline evaluation (run ${offline.runId}) chose ${prior.chosen}, but live evidence (${liveCandidate.scored} scored >= ${settings.minScoredForChoice}) outranks it: ${choice.reason}`,
      );
    const evidence = offlineFigures(offline, intent, current, prior.chosen);
    const monthly = saving(share, input, evidence.baseline?.costPerRequest, evidence.candidate?.costPerRequest);
    const live = `${liveCandidate?.scored ?? 0} live scored request(s) < ${settings.minScoredForChoice}`;
    return {
      ...base,
      candidate: prior.chosen,
      startRestsOn: 'offline-prior',
      monthlySavingUsd: monthly,
      savingFrom: monthly === null ? null : 'offline',
      reason: `offline prior (run ${offline.runId}): ${prior.reason}; ${live}, so only the start rests on it`,
      evidence: {
        live: { baseline: liveFigures(rows, intent, current), candidate: liveCandidate },
        offline: { runId: offline.runId, ...evidence },
      },
    };
  }
  if (choice.recommended === current && choice.passing.includes(current)) return skip('in-force', `already in force: ${choice.reason}`);
  return skip('no-evidence', `no candidate with sufficient evidence: ${choice.reason}`);
}

/**
 * Plans the optimisation of one route: for each intent whose recommended configuration (chosen by the analysis
 * under its decision rules, or, without enough live data for the candidate, by the offline evaluation as a prior)
 * differs from the one in force, a canary from the one in force to the recommended one, with its projected
 * monthly saving and the evidence behind it. Intents with a running experiment or canary are skipped, never
 * overridden; at most one canary per route and intent.
 */
export function planOptimization(input: PlanInput): OptimizePlan {
  const { recommendation: rec, config, settings } = input;
  const routeName = rec.route.name;
  const route = config.routes.find((r) => r.name === routeName);
  const taken = new Set<string>();
  const configIds = new Set(config.configs.map((c) => c.id));
  const steps = rec.choices.map((choice): PlanStep => {
    const current = route ? (route.table[choice.intent] ?? route.default) : choice.current;
    const skip = (code: SkipCode, reason: string) => skipStep(routeName, choice, current, code, reason);
    if (!route) return skip('unknown-config', `route "${routeName}" is no longer in the configuration`);
    const blocked = blocker(config, routeName, choice.intent);
    if (blocked) return skip(blocked.code, blocked.reason);
    const found = candidateOf(input, choice, current);
    if ('action' in found) return found;
    if (!configIds.has(found.candidate))
      return skip('unknown-config', `configuration "${found.candidate}" is no longer in the configuration`);
    const reason = `${found.reason}; projected saving ${usd(found.monthlySavingUsd)}/month`;
    return { action: 'canary', route: routeName, canaryId: freshId(config, taken, choice.intent), ...found, reason };
  });
  const projected = steps.reduce((s, x) => s + (x.action === 'canary' && x.monthlySavingUsd !== null ? x.monthlySavingUsd : 0), 0);
  return {
    generatedAt: new Date(input.now).toISOString(),
    route: routeName,
    minimums: {
      minScored: settings.minScoredForChoice,
      minPassRate: settings.minPassRate,
      maxP95LatencyMs: settings.maxP95LatencyMs,
      qualityGate: settings.qualityGate,
    },
    dailyVolume: settings.dailyVolume,
    daysPerMonth: settings.daysPerMonth,
    canaryPlan: input.canaryPlan,
    steps,
    projectedMonthlySavingUsd: projected,
    offlineRunId: input.offline?.runId ?? null,
  };
}
