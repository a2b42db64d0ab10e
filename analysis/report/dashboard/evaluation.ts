import type { Section } from './charts.ts';
import { empty, escapeHtml, num } from './format.ts';
import type { DashboardRow, EvalReport } from './inputs.ts';
import { intentCards, type IntentVerdict } from './intent-cards.ts';

/** Offline evaluation: per intent, the same scatters over the golden-dataset run, with its choice and its scoring dimensions. */
export function evaluationSection(e: EvalReport | undefined): Section {
  if (!e) return { html: empty('No offline evaluation report.'), charts: [] };
  if (!e.rows.length) return { html: empty(`Evaluation run ${e.runId} has no rows.`), charts: [] };
  const verdicts = new Map<string, IntentVerdict>(
    e.choices.map((c) => [
      c.intent,
      {
        chosen: c.chosen,
        current: null,
        front: c.front,
        passing: c.passing,
        tie: c.tie ?? null,
        reason: c.chosen ? c.reason : `${c.reason}${c.closest ? ` (closest: ${c.closest})` : ''}`,
      },
    ]),
  );
  const dims = [...new Set(e.rows.flatMap((r) => Object.keys(r.dimensions)))].sort();
  const byKey = new Map(e.rows.map((r) => [`${r.intent}\u0000${r.configId}`, r.dimensions]));
  const cells = (r: DashboardRow): string[] => dims.map((d) => num(byKey.get(`${r.intent}\u0000${r.configId}`)?.[d] ?? null));
  const cards = intentCards({ idPrefix: 'eval', rows: e.rows, verdicts, extraColumns: { head: dims, cells } });
  const source = e.configSource ? `; configuration: ${escapeHtml(e.configSource.description)}` : '';
  const intro =
    `<p>Run <code>${escapeHtml(e.runId)}</code>, generated ${escapeHtml(e.generatedAt)}: ${e.dataset.cases} cases from <code>${escapeHtml(e.dataset.path)}</code>, ` +
    `configurations ${escapeHtml(e.configs.join(', '))}${source}.</p>`;
  return { html: intro + cards.html, charts: cards.charts };
}
