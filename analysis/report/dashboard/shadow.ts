import type { Section } from './charts.ts';
import { empty, escapeHtml, ms, num, pct, pValue, table, usd } from './format.ts';
import type { DashboardAnalysis } from './inputs.ts';

type Row = NonNullable<DashboardAnalysis['shadow']>[number];
type Paired = Row['quality'];

function delta(r: Paired, show: (x: number | null) => string): string {
  if (!r || r.diff === null) return '–';
  const ci = r.ci && r.ci[0] !== null && r.ci[1] !== null ? ` [${show(r.ci[0])}, ${show(r.ci[1])}]` : '';
  return `${r.diff > 0 ? '+' : ''}${show(r.diff)}${ci}, p ${pValue(r.p)}`;
}

/** Per intent: the shadow candidate beside the live configuration on the same requests, with paired differences. */
export function shadowSection(a: DashboardAnalysis): Section {
  const rows = a.shadow ?? [];
  if (!rows.length) return { html: empty('No shadow traffic in this analysis.'), charts: [] };
  const head = [
    'route',
    'intent',
    'live',
    'shadow',
    'pairs',
    'scored',
    'quality live / shadow',
    'Δ quality',
    'Δ cost/request',
    'Δ latency',
    'errors live / shadow',
  ];
  const cells = rows.map((r) => [
    escapeHtml(r.route),
    escapeHtml(r.intent),
    escapeHtml(r.live.configId),
    escapeHtml(r.shadow.configId),
    String(r.pairs),
    String(r.scored),
    `${num(r.live.meanQuality)} / ${num(r.shadow.meanQuality)}`,
    delta(r.quality, (x) => num(x)),
    delta(r.costUsd, usd),
    delta(r.latencyMs, ms),
    `${pct(r.live.errorRate)} / ${pct(r.shadow.errorRate)}`,
  ]);
  const note =
    '<p>Δ is shadow minus live on the same request (paired t-test, 95% interval); quality is the rule scorer against the matching golden case. Shadow requests never reach users nor the live statistics above.</p>';
  return { html: `${note}${table(head, cells)}`, charts: [] };
}
