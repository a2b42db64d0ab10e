import { canariesSection } from './dashboard/canaries.ts';
import { chartJsSource } from './dashboard/chart-js.ts';
import type { ChartSpec, Section } from './dashboard/charts.ts';
import { intentsSection, projectionSection } from './dashboard/analysis-sections.ts';
import { CLIENT_SCRIPT } from './dashboard/client-script.ts';
import { evaluationSection } from './dashboard/evaluation.ts';
import { empty, escapeHtml, usd } from './dashboard/format.ts';
import type { DashboardData } from './dashboard/inputs.ts';
import { pageHtml, type PagePart } from './dashboard/page.ts';
import { experimentsSection } from './dashboard/experiments.ts';
import { shadowSection } from './dashboard/shadow.ts';

export type { CanaryTimeline, DashboardAnalysis, DashboardData, EvalReport } from './dashboard/inputs.ts';
export type { ChartSpec } from './dashboard/charts.ts';

/** Default page title. */
export const DASHBOARD_TITLE = 'Model routing dashboard';

/**
 * JSON that can sit inside a `<script>` element: `<`, `>` and `&` (and the JS line separators) are written as
 * `\u` escapes, which JSON.parse reads back unchanged, so no string in the data can close the element.
 */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function noAnalysis(text: string): Section {
  return { html: empty(text), charts: [] };
}

/**
 * Every experiment counts: analysed, not compared yet (an arm short of data), or running in the configuration
 * in force without any observation yet.
 */
function experimentsTile(d: DashboardData): string {
  const analysed = d.analysis?.experiments.map((e) => e.id) ?? [];
  const waiting = d.analysis?.unanalysed?.map((e) => e.id) ?? [];
  const ids = new Set([...analysed, ...waiting, ...(d.runningExperiments ?? [])]);
  const parts = [`${analysed.length} analysed`, waiting.length ? `${waiting.length} not compared yet` : ''];
  if (d.runningExperiments) parts.push(`${d.runningExperiments.length} running`);
  const note = waiting.length || d.runningExperiments ? `<small>${parts.filter(Boolean).join(', ')}</small>` : '';
  return `<div data-tile="experiments">Experiments<strong>${ids.size}</strong>${note}</div>`;
}

function summary(d: DashboardData): string {
  const notices = (d.notices ?? []).map((n) => `<p class="notice">${escapeHtml(n)}</p>`).join('');
  const items: string[] = [];
  const a = d.analysis;
  if (a) items.push(`<div>Live requests<strong>${a.liveRequests.toLocaleString('en-US')}</strong></div>`);
  if (a || d.runningExperiments) items.push(experimentsTile(d));
  if (a?.recommendation) items.push(`<div>Monthly saving<strong>${usd(a.recommendation.monthlySavingUsd)}</strong></div>`);
  if (d.evaluation) items.push(`<div>Evaluation cases<strong>${d.evaluation.dataset.cases.toLocaleString('en-US')}</strong></div>`);
  if (d.canaries) items.push(`<div>Canaries<strong>${d.canaries.length}</strong></div>`);
  return notices + (items.length ? `<div class="summary">${items.join('')}</div>` : '');
}

function subtitle(d: DashboardData): string {
  const source = d.analysis?.configSource ? `, configuration: ${d.analysis.configSource.description}` : '';
  const parts = [
    d.analysis ? `analysis generated ${d.analysis.generatedAt}${source}` : 'no analysis report',
    d.evaluation ? `evaluation ${d.evaluation.runId} generated ${d.evaluation.generatedAt}` : 'no evaluation report',
  ];
  return parts.join(' · ');
}

/**
 * Renders one self-contained HTML page (Chart.js and the data inlined, no external request) with, per intent,
 * quality against cost and against P95 latency (Pareto front and chosen configuration marked), experiment
 * intervals and decisions, the offline evaluation, canary timelines, the traffic mix and the cost projection.
 * Sections without data say so. The charts are reachable in the page as `window.__charts[id]`.
 */
export function renderDashboard(data: DashboardData): string {
  const a = data.analysis;
  const parts: (PagePart & Section)[] = [
    { id: 'intents', title: 'Configurations by intent', ...(a ? intentsSection(a) : noAnalysis('No analysis report.')) },
    { id: 'projection', title: 'Traffic mix and cost projection', ...(a ? projectionSection(a) : noAnalysis('No analysis report.')) },
    { id: 'experiments', title: 'Experiments', ...(a ? experimentsSection(a) : noAnalysis('No analysis report.')) },
    { id: 'shadow', title: 'Shadow candidates', ...(a ? shadowSection(a) : noAnalysis('No analysis report.')) },
    { id: 'evaluation', title: 'Offline evaluation', ...evaluationSection(data.evaluation) },
    { id: 'canaries', title: 'Canary rollouts', ...canariesSection(data.canaries) },
  ];
  const charts: ChartSpec[] = parts.flatMap((p) => p.charts);
  const title = data.title ?? DASHBOARD_TITLE;
  const payload = { title, analysis: a ?? null, evaluation: data.evaluation ?? null, canaries: data.canaries ?? null, charts };
  return pageHtml({
    title,
    subtitle: subtitle(data),
    summary: summary(data),
    parts,
    dataJson: scriptSafeJson(payload),
    chartJs: chartJsSource(),
    script: CLIENT_SCRIPT,
  });
}
