import {
  canvas,
  CHOSEN_COLOUR,
  colour,
  CURRENT_COLOUR,
  fitRange,
  uniqueSlugs,
  type AxisSpec,
  type ChartSpec,
  type DatasetSpec,
  type Point,
  type Section,
} from './charts.ts';
import { escapeHtml, num, pct, table, usd } from './format.ts';
import type { DashboardRow } from './inputs.ts';

/** How one intent's configurations were judged. */
export interface IntentVerdict {
  /** Configuration chosen under the rules, or null when none passes. */
  chosen: string | null;
  /** Configuration in force, when known. */
  current: string | null;
  front: string[];
  passing: string[];
  reason: string;
  /** The cost tie the choice broke by quality, if any. */
  tie?: { chosen: string; cheapest: { configId: string }; tied: { configId: string }[] } | null;
}

/** Options of a group of per-intent cards. */
export interface IntentCardsOptions {
  /** Prefix of chart ids (`intent`, `eval`). */
  idPrefix: string;
  rows: readonly DashboardRow[];
  verdicts: Map<string, IntentVerdict>;
  /** P95 latency SLA drawn on the latency chart, ms. */
  slaMs?: number;
  /** Extra columns per row (e.g. evaluation dimensions). */
  extraColumns?: { head: string[]; cells: (row: DashboardRow) => string[] };
}

type Axis = (r: DashboardRow) => number | null;

const costAxis: Axis = (r) => r.costPerRequest;
const p95Axis: Axis = (r) => r.latencyMs?.[95] ?? null;

function points(rows: readonly DashboardRow[], x: Axis): Point[] {
  return rows.flatMap((r) => {
    const xv = x(r);
    return xv === null || r.meanQuality === null ? [] : [{ x: xv, y: r.meanQuality, label: r.configId }];
  });
}

function marker(role: string, label: string, pts: Point[], colourHex: string, pointStyle: string): DatasetSpec {
  return {
    role,
    label,
    data: pts,
    pointStyle,
    clip: 14,
    pointRadius: 10,
    pointHoverRadius: 12,
    borderWidth: 2,
    borderColor: colourHex,
    backgroundColor: `${colourHex}55`,
  };
}

/** Datasets of one quality scatter: every configuration, the Pareto front, the chosen and the current one. */
function scatterDatasets(rows: readonly DashboardRow[], x: Axis, verdict: IntentVerdict | undefined): DatasetSpec[] {
  const all = points(rows, x);
  const sets: DatasetSpec[] = [
    { role: 'configs', label: 'Configurations', data: all, clip: 10, pointRadius: 6, backgroundColor: colour(0), borderColor: colour(0) },
  ];
  if (!verdict) return sets;
  const front = all.filter((p) => verdict.front.includes(p.label)).sort((a, b) => a.x - b.x);
  if (front.length) {
    sets.push({
      role: 'front',
      label: 'Pareto front (quality, cost, P95)',
      data: front,
      showLine: true,
      borderDash: [6, 4],
      borderColor: colour(1),
      backgroundColor: colour(1),
      pointRadius: 4,
    });
  }
  const chosen = all.filter((p) => p.label === verdict.chosen);
  if (chosen.length) sets.push(marker('chosen', `Chosen: ${verdict.chosen}`, chosen, CHOSEN_COLOUR, 'rectRot'));
  const current = all.filter((p) => p.label === verdict.current && p.label !== verdict.chosen);
  if (current.length) sets.push(marker('current', `In force: ${verdict.current}`, current, CURRENT_COLOUR, 'triangle'));
  return sets;
}

/** Hollow grey rings around the configurations under the minimum of scored requests. */
function insufficientDataset(rows: readonly DashboardRow[], x: Axis): DatasetSpec | null {
  const short = rows.filter((r) => r.insufficient);
  const pts = points(short, x);
  if (!pts.length) return null;
  const label = short[0]!.insufficient!.label.replace(/^i/, 'I');
  return {
    role: 'insufficient',
    label,
    data: pts,
    pointStyle: 'circle',
    clip: 14,
    pointRadius: 11,
    borderWidth: 2,
    borderColor: INSUFFICIENT_COLOUR,
    backgroundColor: 'transparent',
  };
}

const INSUFFICIENT_COLOUR = '#8c8c8c';

function withInsufficient(sets: DatasetSpec[], rows: readonly DashboardRow[], x: Axis): DatasetSpec[] {
  const ring = insufficientDataset(rows, x);
  return ring ? [...sets, ring] : sets;
}

function slaLine(rows: readonly DashboardRow[], slaMs: number): DatasetSpec | null {
  const q = rows.flatMap((r) => (r.meanQuality === null ? [] : [r.meanQuality]));
  if (!q.length) return null;
  const lo = Math.min(...q);
  const hi = Math.max(...q);
  const label = `P95 SLA ${slaMs} ms`;
  return {
    role: 'sla',
    label,
    data: [
      { x: slaMs, y: lo, label },
      { x: slaMs, y: hi, label },
    ],
    showLine: true,
    pointRadius: 0,
    borderColor: '#999999',
    borderDash: [2, 3],
  };
}

function rowCells(r: DashboardRow, v: IntentVerdict | undefined): string[] {
  const flags = [
    v?.chosen === r.configId ? '<span class="tag chosen">chosen</span>' : '',
    v?.current === r.configId ? '<span class="tag current">in force</span>' : '',
    v?.front.includes(r.configId) ? '<span class="tag front">front</span>' : '',
    v?.passing.includes(r.configId) ? '<span class="tag pass">passes</span>' : '',
    r.insufficient ? `<span class="tag insufficient">${escapeHtml(r.insufficient.label)}</span>` : '',
  ]
    .filter(Boolean)
    .join(' ');
  const ci = r.qualityCi ? ` <small>[${num(r.qualityCi[0])}, ${num(r.qualityCi[1])}]</small>` : '';
  const trio = (p: DashboardRow['latencyMs']): string => (p ? `${Math.round(p[50])} / ${Math.round(p[95])} / ${Math.round(p[99])}` : '–');
  return [
    `${escapeHtml(r.configId)}<br>${flags}`,
    String(r.requests),
    pct(r.errorRate, 2),
    String(r.scored),
    `${num(r.meanQuality)}${ci}`,
    pct(r.passRate),
    usd(r.costPerRequest),
    trio(r.latencyMs),
    trio(r.ttftMs),
  ];
}

function verdictHtml(v: IntentVerdict): string {
  const head = `<strong>${v.chosen ? `Chosen: ${escapeHtml(v.chosen)}` : 'No configuration passes'}</strong>`;
  const tie = v.tie ? ` <span class="tag tie" data-tie="${escapeHtml(v.tie.chosen)}">cost tie broken by quality</span>` : '';
  return `<p class="verdict">${head}${tie}: ${escapeHtml(v.reason)}</p>`;
}

/** How many times the largest P95 the SLA may be and still be drawn on the latency chart. */
const SLA_REACH = 4;

/**
 * The latency scatter fits its x range to the configurations' P95; the SLA line is drawn (and the range stretched
 * to it) only when it lies within four times the largest P95, otherwise the caption says every point is well under it.
 */
function latencyChart(rows: readonly DashboardRow[], v: IntentVerdict | undefined, slaMs: number | undefined) {
  const datasets = withInsufficient(scatterDatasets(rows, p95Axis, v), rows, p95Axis);
  const xs = points(rows, p95Axis).map((p) => p.x);
  const hi = xs.length ? Math.max(...xs) : null;
  const near = slaMs !== undefined && hi !== null && slaMs <= SLA_REACH * hi;
  const sla = near ? slaLine(rows, slaMs) : null;
  if (sla) datasets.push(sla);
  const x: AxisSpec = { title: 'P95 latency (ms)', format: 'ms', ...fitRange(sla ? [...xs, slaMs!] : xs) };
  const note =
    slaMs !== undefined && hi !== null && !near
      ? ` (P95 SLA ${slaMs} ms is off the chart: every configuration is under a quarter of it)`
      : '';
  return { datasets, x, note };
}

const HEAD = [
  'config',
  'requests',
  'errors',
  'scored',
  'quality [95% CI]',
  'pass rate',
  'cost/request',
  'latency P50/P95/P99 (ms)',
  'TTFT P50/P95/P99 (ms)',
];

/** One card per intent: quality against cost and against P95 latency, and the table behind both. */
export function intentCards(o: IntentCardsOptions): Section {
  const intents = [...new Set(o.rows.map((r) => r.intent))];
  const charts: ChartSpec[] = [];
  const slugOf = uniqueSlugs();
  const cards = intents.map((intent) => {
    const rows = o.rows.filter((r) => r.intent === intent);
    const v = o.verdicts.get(intent);
    const base = `${o.idPrefix}-${slugOf(intent)}`;
    const costId = `${base}-cost-quality`;
    const latencyId = `${base}-latency-quality`;
    const quality = { title: 'Mean quality (0–1)', format: 'number' as const };
    const costSets = withInsufficient(scatterDatasets(rows, costAxis, v), rows, costAxis);
    const costX: AxisSpec = { title: 'Cost per request (USD)', format: 'usd', ...fitRange(points(rows, costAxis).map((p) => p.x)) };
    charts.push({ id: costId, type: 'scatter', datasets: costSets, axes: { x: costX, y: quality } });
    const latency = latencyChart(rows, v, o.slaMs);
    charts.push({ id: latencyId, type: 'scatter', datasets: latency.datasets, axes: { x: latency.x, y: quality } });
    const latencyCaption = `${intent}: quality against P95 latency${latency.note}`;
    const extra = o.extraColumns;
    const head = extra ? [...HEAD, ...extra.head] : HEAD;
    const body = rows.map((r) => (extra ? [...rowCells(r, v), ...extra.cells(r)] : rowCells(r, v)));
    const verdict = v ? verdictHtml(v) : '';
    return `<article class="card" data-intent="${escapeHtml(intent)}"><h3>${escapeHtml(intent)}</h3>${verdict}
<div class="chart-pair">${canvas(costId, `${intent}: quality against cost per request`)}${canvas(latencyId, latencyCaption)}</div>
${table(head, body)}</article>`;
  });
  return { html: `<div class="cards">${cards.join('\n')}</div>`, charts };
}
