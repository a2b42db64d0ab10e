import { Route } from '../schema/config.ts';
import { projectMonthly, type Projection } from './cost.ts';
import type { IntentConfigRow } from './intent-table.ts';
import { chooseConfig, type Candidate, type Choice } from './pareto.ts';
import type { AnalysisSettings } from './settings.ts';

/** Choice for one intent, with the configuration it replaces. */
export interface IntentChoice extends Omit<Choice, 'chosen' | 'closest' | 'front'> {
  intent: string;
  current: string;
  recommended: string;
  front: string[];
  closest: string | null;
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

/** Candidates of one intent: configurations with enough scored requests and a price. */
export function candidatesOf(rows: readonly IntentConfigRow[], intent: string, minScored: number): Candidate[] {
  return rows
    .filter((r) => r.intent === intent && r.scored >= minScored && r.costPerRequest !== null && r.latencyMs && r.meanQuality !== null)
    .map((r) => ({
      configId: r.configId,
      quality: r.meanQuality!,
      passRate: r.passRate!,
      costPerRequest: r.costPerRequest!,
      p95LatencyMs: r.latencyMs![95],
    }));
}

/** Chooses a configuration per intent of the route and projects the monthly cost of both tables. */
export function recommendRoute(rows: readonly IntentConfigRow[], current: Route, mix: Record<string, number>, settings: AnalysisSettings): Recommendation {
  const rules = { minPassRate: settings.minPassRate, maxP95LatencyMs: settings.maxP95LatencyMs };
  const currentOf = (intent: string): string => current.table[intent] ?? current.default;
  const choices = current.intents.map((intent): IntentChoice => {
    const choice = chooseConfig(candidatesOf(rows, intent, settings.minScoredForChoice), rules);
    const keep = currentOf(intent);
    return {
      intent,
      current: keep,
      recommended: choice.chosen?.configId ?? keep,
      front: choice.front.map((c) => c.configId),
      passing: choice.passing,
      closest: choice.closest?.configId ?? null,
      reason: choice.chosen ? choice.reason : `${choice.reason}; keeping ${keep}`,
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
    route, choices, mix, dailyVolume, current: cur, recommended: rec, comparable: [...both],
    currentMonthlyUsd, recommendedMonthlyUsd, monthlySavingUsd: currentMonthlyUsd - recommendedMonthlyUsd,
  };
}
