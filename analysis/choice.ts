import { breakCostTie, type CostTie, type CostTieRules, type TieGround } from './cost-tie.ts';
import { paretoFront, shortfall, type Candidate, type PassRules } from './pareto.ts';
import type { AnalysisSettings } from './settings.ts';

/** Every rule of the choice for one intent. */
export interface ChoiceRules extends PassRules, CostTieRules {
  /** Scored requests a configuration needs before it may be chosen; below it, it is named, never chosen. */
  minScored: number;
}

/** The MangaAssist rules: pass rate >= 80%, P95 <= 3 s, 30 scored requests, costs within 2% or their uncertainty tie. */
export const DEFAULT_CHOICE_RULES: ChoiceRules = {
  minPassRate: 0.8,
  maxP95LatencyMs: 3000,
  minScored: 30,
  costTieTolerance: 0.02,
  costTieAlpha: 0.05,
};

/** The choice rules of the analysis settings. */
export function choiceRulesOf(s: AnalysisSettings, minScored = s.minScoredForChoice): ChoiceRules {
  return {
    minPassRate: s.minPassRate,
    maxP95LatencyMs: s.maxP95LatencyMs,
    minScored,
    costTieTolerance: s.costTieTolerance,
    costTieAlpha: s.costTieByUncertainty ? s.alpha : null,
  };
}

/** A configuration with too few scored requests to be chosen, and what it shows so far. */
export interface Shortage {
  configId: string;
  scored: number;
  /** Scored requests still missing. */
  needed: number;
  /** Whether it meets the gate and the SLA on what it has (false with no scored request). */
  passes: boolean;
  passRate: number | null;
  p95LatencyMs: number | null;
}

/** Outcome of the choice for one intent. */
export interface Choice {
  /** The cheapest passing configuration (or, in a cost tie, the tie's best quality); null when none passes. */
  chosen: Candidate | null;
  /** When nothing passes: the candidate with enough data nearest to passing. */
  closest: Candidate | null;
  /** Non-dominated set over (quality up, cost down, P95 latency down) of the candidates with enough data. */
  front: Candidate[];
  /** Passing configurations with enough data, cheapest first. */
  passing: string[];
  /** Candidates under the minimum of scored requests: shown and named, never chosen. */
  insufficient: Shortage[];
  /** The cost tie broken by quality, if any. */
  tie: CostTie | null;
  reason: string;
}

function byCostThenQuality(a: Candidate, b: Candidate): number {
  return a.costPerRequest - b.costPerRequest || b.quality - a.quality || a.configId.localeCompare(b.configId);
}

/**
 * Chooses the cheapest candidate that has at least `minScored` scored requests and passes the quality gate and
 * the latency SLA; passing candidates whose cost ties with the cheapest's (see `costTie`) are compared by quality.
 */
export function chooseConfig(candidates: readonly Candidate[], rules: ChoiceRules = DEFAULT_CHOICE_RULES): Choice {
  const eligible = candidates.filter((c) => c.scored >= rules.minScored);
  const insufficient = candidates.filter((c) => c.scored < rules.minScored).map((c) => shortageOf(c, rules));
  const front = paretoFront(eligible);
  const passing = eligible.filter((c) => shortfall(c, rules) === 0).sort(byCostThenQuality);
  const { chosen, tie } = breakCostTie(passing, rules);
  const base = { front, passing: passing.map((c) => c.configId), insufficient, tie };
  if (chosen) {
    const verb = chosen === passing[0] ? 'is the cheapest of' : 'is chosen from';
    const main = `${chosen.configId} ${verb} ${passing.length} passing configuration(s) (${standing(chosen)})`;
    return { ...base, chosen, closest: null, reason: tie ? `${main}; ${tieText(tie, rules)}` : main };
  }
  const closest = [...eligible].sort((a, b) => shortfall(a, rules) - shortfall(b, rules) || byCostThenQuality(a, b))[0] ?? null;
  let reason = `no configuration has enough data (n >= ${rules.minScored} scored)`;
  if (closest) reason = `no configuration passes (${rulesText(rules)}); closest: ${closest.configId} (${standing(closest)})`;
  else if (!candidates.length) reason = 'no configuration has data';
  return { ...base, chosen: null, closest, reason };
}

function shortageOf(c: Candidate, rules: ChoiceRules): Shortage {
  return {
    configId: c.configId,
    scored: c.scored,
    needed: rules.minScored - c.scored,
    passes: shortfall(c, rules) === 0,
    passRate: c.passRate,
    p95LatencyMs: c.p95LatencyMs,
  };
}

/** "haiku-35 passes on 29 scored requests; 1 more needed". */
export function shortageText(s: Shortage): string {
  const more = `${s.needed} more needed`;
  if (s.scored === 0) return `${s.configId} has no scored requests; ${more}`;
  const on = `on ${s.scored} scored request${s.scored === 1 ? '' : 's'}; ${more}`;
  if (s.passes) return `${s.configId} passes ${on}`;
  const p95 = s.p95LatencyMs === null ? '' : `, P95 ${Math.round(s.p95LatencyMs)} ms`;
  return `${s.configId} does not pass (pass rate ${s.passRate === null ? '-' : pct(s.passRate)}${p95}) ${on}`;
}

function groundText(g: TieGround, rules: CostTieRules): string {
  // Against a free cheapest configuration a relative difference means nothing: say it in dollars.
  const sign = Number.isFinite(g.relative) ? `${g.relative >= 0 ? '+' : ''}${pct(g.relative)}` : 'the cheapest is free';
  if (g.rule === 'tolerance') return `${sign}, within the ${pct(rules.costTieTolerance, 0)} tolerance`;
  return `${sign}, within the ${pct(g.level, 0)} uncertainty of the difference, ±${usd(g.halfWidth)}`;
}

/** Says which configurations tied on cost, why, and how quality broke the tie. */
export function tieText(tie: CostTie, rules: CostTieRules): string {
  const members = tie.tied.map((t) => `${t.configId} ${usd(t.costPerRequest)} (${groundText(t.ground, rules)})`).join(', ');
  const byQuality = [tie.cheapest, ...tie.tied].sort((a, b) => b.quality - a.quality).map((t) => `${t.configId} ${t.quality.toFixed(3)}`);
  return (
    `cost tie with the cheapest, ${tie.cheapest.configId} at ${usd(tie.cheapest.costPerRequest)}/request: ${members}; ` +
    `broken by quality: ${byQuality.join(', ')}`
  );
}

function rulesText(rules: PassRules): string {
  return `pass rate >= ${pct(rules.minPassRate)}, P95 <= ${rules.maxP95LatencyMs} ms`;
}

function standing(c: Candidate): string {
  return `pass rate ${pct(c.passRate)}, P95 ${Math.round(c.p95LatencyMs)} ms`;
}

function pct(x: number, digits = 1): string {
  return `${(100 * x).toFixed(digits)}%`;
}

/** Five decimals, or two significant digits below $0.0001 so that a tiny difference never reads as $0.00000. */
function usd(x: number): string {
  return `$${Math.abs(x) >= 1e-4 || x === 0 ? x.toFixed(5) : x.toPrecision(2)}`;
}
