import { canvas, uniqueSlugs, type ChartSpec, type DatasetSpec, type Point, type Section } from './charts.ts';
import { empty, escapeHtml, isoTime, ms, num, pct, pValue, table, usd } from './format.ts';
import type { ArmFigures, CanaryDecision, CanaryTimeline } from './inputs.ts';

/** Colour and marker of each canary action. */
export const ACTION_STYLES: Record<string, { colour: string; pointStyle: string }> = {
  start: { colour: '#1f77b4', pointStyle: 'circle' },
  warmup: { colour: '#17becf', pointStyle: 'circle' },
  hold: { colour: '#7f7f7f', pointStyle: 'rect' },
  promote: { colour: '#2ca02c', pointStyle: 'triangle' },
  rollback: { colour: '#d62728', pointStyle: 'crossRot' },
  pause: { colour: '#bcbd22', pointStyle: 'rectRot' },
  resume: { colour: '#9467bd', pointStyle: 'rectRot' },
  abort: { colour: '#8c564b', pointStyle: 'crossRot' },
  complete: { colour: '#006400', pointStyle: 'star' },
  timeout: { colour: '#ff7f0e', pointStyle: 'cross' },
};

function styleOf(action: string): { colour: string; pointStyle: string } {
  return ACTION_STYLES[action] ?? { colour: '#333333', pointStyle: 'circle' };
}

function minutes(at: number, t0: number): number {
  return (at - t0) / 60_000;
}

function timelineChart(id: string, t: CanaryTimeline, decisions: CanaryDecision[]): ChartSpec {
  const t0 = decisions[0]!.at;
  const weight: Point[] = decisions.map((d) => ({ x: minutes(d.at, t0), y: d.weight, label: `${d.stage}: ${d.action} at ${d.weight}%` }));
  const last = decisions[decisions.length - 1]!;
  const updated = t.state?.updatedAt;
  if (t.state && typeof updated === 'number' && updated > last.at)
    weight.push({ x: minutes(updated, t0), y: t.state.weight, label: `now: ${t.state.weight}% (${t.state.status})` });
  const sets: DatasetSpec[] = [
    {
      role: 'weight',
      label: 'Candidate weight (%)',
      data: weight,
      showLine: true,
      stepped: 'before',
      borderColor: '#4e79a7',
      backgroundColor: '#4e79a7',
      pointRadius: 0,
      borderWidth: 2,
    },
  ];
  for (const action of [...new Set(decisions.map((d) => d.action))]) {
    const s = styleOf(action);
    const data = decisions
      .filter((d) => d.action === action)
      .map((d) => ({ x: minutes(d.at, t0), y: d.weight, label: `${action} (${d.stage}): ${d.reason}` }));
    sets.push({
      role: `action:${action}`,
      label: action,
      data,
      clip: 12,
      pointStyle: s.pointStyle,
      pointRadius: 8,
      pointHoverRadius: 10,
      borderWidth: 2,
      borderColor: s.colour,
      backgroundColor: `${s.colour}88`,
    });
  }
  return {
    id,
    type: 'scatter',
    datasets: sets,
    axes: {
      x: { title: `Minutes since ${isoTime(t0)}`, format: 'minutes', min: 0 },
      y: { title: 'Candidate weight (%)', format: 'percent', min: 0, max: 100 },
    },
  };
}

function arm(f: ArmFigures): string {
  return `q ${num(f.quality)}, P95 ${ms(f.p95LatencyMs)}, err ${pct(f.errorRate, 2)}, ${usd(f.costPerRequest)}/req <small>(n ${f.requests}, scored ${f.scored})</small>`;
}

function decisionRow(d: CanaryDecision): string[] {
  const f = d.figures;
  const delta = f?.qualityDelta
    ? `${num(f.qualityDelta.estimate, 4)} <small>[${num(f.qualityDelta.lower, 4)}, ${num(f.qualityDelta.upper, 4)}]</small>`
    : '–';
  const s = styleOf(d.action);
  return [
    isoTime(d.at),
    escapeHtml(d.stage),
    `${d.weight}%`,
    `<span class="decision" style="background:${s.colour}">${escapeHtml(d.action)}</span>`,
    escapeHtml(d.actor),
    escapeHtml(d.reason),
    f ? arm(f.candidate) : '–',
    f ? arm(f.baseline) : '–',
    delta,
    pValue(f?.srmP),
  ];
}

const HEAD = ['time (UTC)', 'stage', 'weight', 'action', 'actor', 'reason', 'candidate', 'baseline', 'quality delta [CI]', 'SRM p'];

function card(t: CanaryTimeline, id: string): { html: string; chart: ChartSpec | null } {
  const c = t.canary;
  const decisions = [...t.decisions].sort((a, b) => a.at - b.at);
  const state = t.state
    ? `${escapeHtml(t.state.status)}${t.state.stage ? `, stage ${escapeHtml(t.state.stage)}` : ''}, weight ${t.state.weight}%`
    : `${escapeHtml(c.status)}, weight ${c.weight}%`;
  const head =
    `<h3>${escapeHtml(c.id)}</h3><p>${escapeHtml(c.baseline)} → <strong>${escapeHtml(c.candidate)}</strong> on route ${escapeHtml(c.route)}` +
    `${c.intent ? `, intent ${escapeHtml(c.intent)}` : ', all intents'}; now ${state}.</p>`;
  if (!decisions.length)
    return {
      html: `<article class="card wide" data-canary="${escapeHtml(c.id)}">${head}${empty('No decisions recorded yet.')}</article>`,
      chart: null,
    };
  const chart = timelineChart(id, t, decisions);
  const html = `<article class="card wide" data-canary="${escapeHtml(c.id)}">${head}${canvas(id, `${c.id}: candidate weight over time, with each decision`)}
${table(HEAD, decisions.map(decisionRow))}</article>`;
  return { html, chart };
}

/** Canary rollouts: weight over time as a stepped line with a marker per decision, and the decisions with their figures. */
export function canariesSection(list: readonly CanaryTimeline[] | undefined): Section {
  if (!list?.length) return { html: empty('No canary timelines supplied.'), charts: [] };
  const slugOf = uniqueSlugs();
  const cards = list.map((t) => card(t, `canary-${slugOf(t.canary.id)}-timeline`));
  return { html: cards.map((c) => c.html).join('\n'), charts: cards.flatMap((c) => (c.chart ? [c.chart] : [])) };
}
