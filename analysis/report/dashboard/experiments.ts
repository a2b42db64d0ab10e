import { canvas, type ChartSpec, type Section } from './charts.ts';
import { empty, escapeHtml, num, pct, pValue, table, usd } from './format.ts';
import type { DashboardAnalysis } from './inputs.ts';

type Experiment = DashboardAnalysis['experiments'][number];

/** Colour of each experiment decision. */
export const DECISION_COLOURS: Record<string, string> = {
  PROMOTE: '#2ca02c',
  ROLLBACK: '#d62728',
  REVIEW: '#ff7f0e',
  CONTINUE: '#7f7f7f',
  NO_DIFFERENCE: '#1f77b4',
};

function decisionColour(d: string): string {
  return DECISION_COLOURS[d] ?? '#7f7f7f';
}

function intervalChart(list: Experiment[]): ChartSpec {
  const colours = list.map((e) => decisionColour(e.decision.decision));
  return {
    id: 'experiments-intervals',
    type: 'bar',
    indexAxis: 'y',
    labels: list.map((e) => `${e.id} (${e.decision.decision})`),
    axes: {
      x: { title: 'Quality difference, treatment − control', format: 'number' },
      y: { title: 'Experiment (decision)', format: 'number', type: 'category' },
    },
    datasets: [
      {
        role: 'ci',
        label: '95% CI, session level',
        data: list.map((e): [number, number] => [e.quality.session.ci[0], e.quality.session.ci[1]]),
        backgroundColor: colours.map((c) => `${c}99`),
        borderColor: colours,
        borderWidth: 1,
      },
      {
        role: 'sequential',
        label: 'Always-valid interval',
        data: list.map((e): [number, number] => [e.quality.sequential.lower, e.quality.sequential.upper]),
        backgroundColor: colours.map((c) => `${c}33`),
        borderColor: colours,
        borderWidth: 1,
      },
      {
        role: 'estimate',
        label: 'Estimate',
        type: 'line',
        indexAxis: 'y',
        showLine: false,
        data: list.map((e) => e.quality.session.diff),
        pointStyle: 'crossRot',
        pointRadius: 8,
        borderWidth: 3,
        borderColor: '#000000',
        backgroundColor: '#000000',
      },
    ],
  };
}

function rowOf(e: Experiment): string[] {
  const [c, t] = e.arms;
  const q = e.quality;
  const arms = c && t ? `${escapeHtml(c.configId)} → ${escapeHtml(t.configId)}` : '–';
  const sessions = c && t ? `${c.sessions} / ${t.sessions}` : '–';
  const cost = `${usd(e.costDeltaPerRequest)}/req${e.costDeltaPerMonth === null ? '' : `<br>${usd(e.costDeltaPerMonth)}/month`}`;
  const d = e.decision.decision;
  return [
    escapeHtml(e.id),
    escapeHtml(e.intent ?? '–'),
    arms,
    sessions,
    `${num(q.session.diff, 4)} <small>[${num(q.session.ci[0], 4)}, ${num(q.session.ci[1], 4)}]</small>`,
    `${pct(q.lift.lift, 2)} <small>[${pct(q.lift.ci[0], 2)}, ${pct(q.lift.ci[1], 2)}]</small>`,
    pValue(e.tests[0]?.adjustedP ?? q.session.p),
    `[${num(q.sequential.lower, 4)}, ${num(q.sequential.upper, 4)}]${q.sequential.significant ? ' excludes 0' : ''}`,
    e.srm ? `${pValue(e.srm.p)}${e.srm.mismatch ? ' <strong>mismatch</strong>' : ''}` : 'split unknown',
    cost,
    `<span class="decision" style="background:${decisionColour(d)}">${escapeHtml(d)}</span>`,
    escapeHtml(e.decision.reason),
  ];
}

const HEAD = [
  'experiment',
  'intent',
  'control → treatment',
  'sessions',
  'quality diff [95% CI]',
  'lift [95% CI]',
  'adjusted p',
  'always-valid interval',
  'SRM p',
  'cost delta',
  'decision',
  'reason',
];

/** Experiments seen in live traffic that could not be compared: why, and their sample-ratio check. */
function notCompared(a: DashboardAnalysis): string {
  const list = a.unanalysed ?? [];
  if (!list.length) return '';
  const rows = list.map((u) => [
    escapeHtml(u.id),
    escapeHtml(u.intent ?? '–'),
    u.srm ? `${pValue(u.srm.p)}${u.srm.mismatch ? ' <strong>mismatch</strong>' : ''}` : 'split unknown',
    '<span class="decision" style="background:#7f7f7f">NOT COMPARED</span>',
    escapeHtml(u.reason),
  ]);
  return `\n${table(['experiment', 'intent', 'SRM p', 'decision', 'reason'], rows)}`;
}

/** Experiment results: each quality difference with its intervals, coloured by decision, and the table behind it. */
export function experimentsSection(a: DashboardAnalysis): Section {
  if (!a.experiments.length) return { html: `${empty('No experiment with scored sessions in both arms.')}${notCompared(a)}`, charts: [] };
  const chart = intervalChart(a.experiments);
  const legend = Object.entries(DECISION_COLOURS)
    .map(([d, c]) => `<span class="decision" style="background:${c}">${d}</span>`)
    .join(' ');
  const height = Math.max(220, 70 * a.experiments.length + 100);
  const fig = canvas(
    chart.id,
    'Quality difference per experiment: 95% interval (session level), always-valid interval and estimate',
  ).replace('class="chart-box"', `class="chart-box" style="height:${height}px"`);
  return {
    html: `<p class="legend">Decisions: ${legend}</p>${fig}\n${table(HEAD, a.experiments.map(rowOf))}${notCompared(a)}`,
    charts: [chart],
  };
}
