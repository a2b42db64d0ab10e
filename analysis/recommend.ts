import { Route } from '../schema/config.ts';
import { projectMonthly, type Projection } from './cost.ts';
import type { IntentConfigRow } from './intent-table.ts';
import { chooseConfig, choiceRulesOf, shortageText, type ChoiceRules, type Choice, type Shortage } from './choice.ts';
import type { Candidate } from './pareto.ts';
import type { AnalysisSettings } from './settings.ts';

/** Choice for one intent, with the configuration it replaces. */
export interface IntentChoice extends Omit<Choice, 'chosen' | 'closest' | 'front'> {
  intent: string;
  current: string;
  recommended: string;
  front: string[];
  closest: string | null;
  /** Rows with enough data that could not be ranked, and why. */
  unranked: string[];
}

/** The recommended routing table and what it saves. */
export interface Recommendation {
  /** A `routes` entry in the admin API's format. */
  route: Route;
  choices: IntentChoice[];
  mix: Record<string, number>;
  dailyVolume: number;
  current: Projection;
  recommended: Projection;
  /** Intents priced under both tables; the totals and the saving below cover these only. */
  comparable: string[];
  currentMonthlyUsd: number;
  recommendedMonthlyUsd: number;
  /** Current minus recommended monthly cost. */
  monthlySavingUsd: number;
}

/** Candidates of one intent: configurations with scored requests, a latency and a price. */
export function candidatesOf(rows: readonly IntentConfigRow[], intent: string): Candidate[] {
  return rows
    .filter((r) => r.intent === intent && r.costPerRequest !== null && r.latencyMs && r.meanQuality !== null)
    .map((r) => ({
      configId: r.configId,
      quality: r.meanQuality!,
      passRate: r.passRate!,
      costPerRequest: r.costPerRequest!,
      p95LatencyMs: r.latencyMs![95],
      scored: r.scored,
      requests: r.requests,
      costSd: r.costSd,
    }));
}

/** The choice for one intent with every row accounted for: chosen, ranked, short of data, or why not ranked. */
export interface IntentOutcome {
  choice: Choice;
  /** Rows under the minimum of scored requests, those with none included. */
  insufficient: Shortage[];
  /** Rows with enough data that cannot be ranked, and why (e.g. requests without a price). */
  unranked: string[];
  /** The choice's reason, then the configuration kept (when given and nothing passes), then every row not ranked. */
  reason: string;
}

function whyUnranked(r: IntentConfigRow): string {
  if (r.costPerRequest === null) return 'requests without a price';
  return r.meanQuality === null ? 'no scored requests' : 'no latency';
}

/** Chooses for one intent from its rows; `keep` is the configuration kept when nothing passes. */
export function chooseForIntent(rows: readonly IntentConfigRow[], intent: string, rules: ChoiceRules, keep?: string): IntentOutcome {
  const candidates = candidatesOf(rows, intent);
  const choice = chooseConfig(candidates, rules);
  const others = rows.filter((r) => r.intent === intent && !candidates.some((c) => c.configId === r.configId));
  const unscored = others
    .filter((r) => r.scored < rules.minScored)
    .map(
      (r): Shortage => ({
        configId: r.configId,
        scored: r.scored,
        needed: rules.minScored - r.scored,
        passes: false,
        passRate: r.passRate,
        p95LatencyMs: r.latencyMs?.[95] ?? null,
      }),
    );
  const insufficient = [...choice.insufficient, ...unscored].sort((a, b) => b.scored - a.scored || a.configId.localeCompare(b.configId));
  const unranked = others.filter((r) => r.scored >= rules.minScored).map((r) => `${r.configId} is not ranked (${whyUnranked(r)})`);
  // chooseConfig saw no candidate; the rows still exist, so say what keeps them out.
  const noCandidate = insufficient.length
    ? `no configuration has enough data (n >= ${rules.minScored} scored)`
    : 'no configuration can be ranked';
  const parts = [candidates.length || !others.length ? choice.reason : noCandidate];
  if (!choice.chosen && keep) parts.push(`keeping ${keep}`);
  if (insufficient.length) parts.push(`insufficient data (n < ${rules.minScored} scored): ${insufficient.map(shortageText).join('; ')}`);
  return { choice, insufficient, unranked, reason: [...parts, ...unranked].join('; ') };
}

/** Chooses a configuration per intent of the route and projects the monthly cost of both tables. */
export function recommendRoute(
  rows: readonly IntentConfigRow[],
  current: Route,
  mix: Record<string, number>,
  settings: AnalysisSettings,
): Recommendation {
  const rules = choiceRulesOf(settings);
  const currentOf = (intent: string): string => current.table[intent] ?? current.default;
  const choices = current.intents.map((intent): IntentChoice => {
    const keep = currentOf(intent);
    const { choice, insufficient, unranked, reason } = chooseForIntent(rows, intent, rules, keep);
    return {
      intent,
      current: keep,
      recommended: choice.chosen?.configId ?? keep,
      front: choice.front.map((c) => c.configId),
      passing: choice.passing,
      closest: choice.closest?.configId ?? null,
      insufficient,
      tie: choice.tie,
      unranked,
      reason,
    };
  });
  const table = Object.fromEntries(choices.map((c) => [c.intent, c.recommended]));
  const route = Route.parse({ name: current.name, intents: current.intents, default: current.default, table });
  const recommendedOf = (intent: string): string => route.table[intent] ?? route.default;
  const { dailyVolume, daysPerMonth } = settings;
  const cur = projectMonthly(currentOf, mix, rows, dailyVolume, daysPerMonth);
  const rec = projectMonthly(recommendedOf, mix, rows, dailyVolume, daysPerMonth);
  const both = new Set(cur.perIntent.map((p) => p.intent).filter((i) => rec.perIntent.some((p) => p.intent === i)));
  const sum = (p: Projection): number => p.perIntent.filter((x) => both.has(x.intent)).reduce((s, x) => s + x.monthlyUsd, 0);
  const currentMonthlyUsd = sum(cur);
  const recommendedMonthlyUsd = sum(rec);
  return {
    route,
    choices,
    mix,
    dailyVolume,
    current: cur,
    recommended: rec,
    comparable: [...both],
    currentMonthlyUsd,
    recommendedMonthlyUsd,
    monthlySavingUsd: currentMonthlyUsd - recommendedMonthlyUsd,
  };
}
