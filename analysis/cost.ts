import type { IntentConfigRow } from './intent-table.ts';

/** Monthly cost of one routing table under a traffic mix. */
export interface Projection {
  monthlyUsd: number;
  perIntent: { intent: string; configId: string; share: number; costPerRequest: number; monthlyUsd: number }[];
  /** Intents whose configuration has no observed cost on that intent (left out of the total). */
  unknown: string[];
}

/** The observed live traffic mix: each intent's share of requests. */
export function observedMix(rows: readonly IntentConfigRow[]): Record<string, number> {
  const counts: Record<string, number> = {};
  let total = 0;
  for (const r of rows) {
    counts[r.intent] = (counts[r.intent] ?? 0) + r.requests;
    total += r.requests;
  }
  return Object.fromEntries(Object.entries(counts).map(([intent, n]) => [intent, n / total]));
}

/** Projects a month of traffic: sum over intents of share x daily volume x days x cost per request. */
export function projectMonthly(
  table: (intent: string) => string,
  mix: Record<string, number>,
  rows: readonly IntentConfigRow[],
  dailyVolume: number,
  daysPerMonth: number,
): Projection {
  const cost = new Map(rows.map((r) => [`${r.intent}\u0000${r.configId}`, r.costPerRequest]));
  const perIntent: Projection['perIntent'] = [];
  const unknown: string[] = [];
  for (const [intent, share] of Object.entries(mix)) {
    const configId = table(intent);
    const costPerRequest = cost.get(`${intent}\u0000${configId}`);
    if (costPerRequest === undefined || costPerRequest === null) {
      unknown.push(intent);
      continue;
    }
    perIntent.push({ intent, configId, share, costPerRequest, monthlyUsd: share * dailyVolume * daysPerMonth * costPerRequest });
  }
  return { monthlyUsd: perIntent.reduce((s, p) => s + p.monthlyUsd, 0), perIntent, unknown };
}
