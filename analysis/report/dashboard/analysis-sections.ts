import { canvas, colour, type ChartSpec, type Section } from './charts.ts';
import { empty, escapeHtml, pct, table, usd } from './format.ts';
import type { DashboardAnalysis } from './inputs.ts';
import { intentCards, type IntentVerdict } from './intent-cards.ts';

type Recommendation = NonNullable<DashboardAnalysis['recommendation']>;

/** Verdicts per intent from the recommendation: the recommended configuration counts as chosen only when it passes. */
function verdicts(rec: Recommendation | null): Map<string, IntentVerdict> {
  const out = new Map<string, IntentVerdict>();
  for (const c of rec?.choices ?? []) {
    out.set(c.intent, {
      chosen: c.passing.includes(c.recommended) ? c.recommended : null,
      current: c.current,
      front: c.front,
      passing: c.passing,
      reason: c.reason,
      tie: c.tie ?? null,
    });
  }
  return out;
}

/** Per intent: quality against cost and latency, with the Pareto front and the recommended configuration. */
export function intentsSection(a: DashboardAnalysis): Section {
  if (!a.intents.length) return { html: empty('No live observations in this analysis.'), charts: [] };
  return intentCards({ idPrefix: 'intent', rows: a.intents, verdicts: verdicts(a.recommendation), slaMs: a.settings.maxP95LatencyMs });
}

/** The traffic mix the projection used and the monthly cost of the current and the recommended tables. */
export function projectionSection(a: DashboardAnalysis): Section {
  const rec = a.recommendation;
  if (!rec) return { html: empty('No recommendation: no route or no data, so no traffic mix or cost projection.'), charts: [] };
  const mixIntents = Object.keys(rec.mix);
  const mix: ChartSpec = {
    id: 'traffic-mix',
    type: 'doughnut',
    labels: mixIntents,
    valueFormat: 'fraction',
    axes: {},
    datasets: [
      {
        role: 'mix',
        label: 'Share of traffic',
        data: mixIntents.map((i) => rec.mix[i]!),
        backgroundColor: mixIntents.map((_, i) => colour(i)),
      },
    ],
  };
  const intents = [...new Set([...rec.current.perIntent, ...rec.recommended.perIntent].map((p) => p.intent))];
  const monthly = (p: Recommendation['current'], intent: string): number | null =>
    p.perIntent.find((x) => x.intent === intent)?.monthlyUsd ?? null;
  const cost: ChartSpec = {
    id: 'cost-projection',
    type: 'bar',
    labels: intents,
    axes: { x: { title: 'Intent', format: 'number', type: 'category' }, y: { title: 'Monthly cost (USD)', format: 'usd', min: 0 } },
    datasets: [
      { role: 'current', label: 'Current table', data: intents.map((i) => monthly(rec.current, i) ?? 0), backgroundColor: colour(0) },
      {
        role: 'recommended',
        label: 'Recommended table',
        data: intents.map((i) => monthly(rec.recommended, i) ?? 0),
        backgroundColor: colour(2),
      },
    ],
  };
  const rows = intents.map((i) => {
    const cur = rec.current.perIntent.find((x) => x.intent === i);
    const next = rec.recommended.perIntent.find((x) => x.intent === i);
    return [
      escapeHtml(i),
      pct(rec.mix[i]),
      escapeHtml(cur?.configId ?? '–'),
      usd(cur?.monthlyUsd),
      escapeHtml(next?.configId ?? '–'),
      usd(next?.monthlyUsd),
    ];
  });
  const missing = [...new Set([...rec.current.unknown, ...rec.recommended.unknown])];
  const totals =
    `<p class="totals">At ${rec.dailyVolume.toLocaleString('en-US')} messages/day: current table <strong>${usd(rec.currentMonthlyUsd)}</strong>/month, ` +
    `recommended <strong>${usd(rec.recommendedMonthlyUsd)}</strong>/month, saving <strong data-saving="${rec.monthlySavingUsd}">${usd(rec.monthlySavingUsd)}</strong>/month.` +
    `${missing.length ? ` Left out (no observed cost): ${escapeHtml(missing.join(', '))}.` : ''}</p>`;
  const html = `${totals}<div class="chart-pair">${canvas('traffic-mix', 'Traffic mix (share of live requests per intent)')}${canvas('cost-projection', 'Monthly cost per intent, current against recommended table (USD)')}</div>
${table(['intent', 'share', 'current config', 'current USD/month', 'recommended config', 'recommended USD/month'], rows)}`;
  return { html, charts: [mix, cost] };
}
