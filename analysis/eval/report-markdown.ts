import type { EvalReport, EvalRow } from './report.ts';

const num = (x: number | null | undefined, digits = 3): string => (x === null || x === undefined ? '-' : x.toFixed(digits));
const pct = (x: number | null): string => (x === null ? '-' : `${(100 * x).toFixed(1)}%`);

function rowLine(r: EvalRow): string {
  const d = r.dimensions;
  const cost = r.costPerRequest === null ? '-' : `$${r.costPerRequest.toFixed(5)}`;
  const p95 = r.latencyMs ? Math.round(r.latencyMs[95]).toString() : '-';
  const config = `${r.configId}${r.insufficient ? ` *${r.insufficient.label}*` : ''}`;
  return `| ${config} | ${r.requests} | ${pct(r.errorRate)} | ${num(r.meanQuality)} | ${pct(r.passRate)} | ${num(d.relevance)} | ${num(d.factual_accuracy)} | ${num(d.completeness)} | ${num(d.format)} | ${num(d.policy_safety)} | ${num(d.judge)} | ${cost} | ${p95} |`;
}

/** The report as Markdown: one table per intent, configurations side by side, and the choice. */
export function reportMarkdown(report: EvalReport): string {
  const lines = [
    `# Offline evaluation ${report.runId}`,
    '',
    `Dataset \`${report.dataset.path}\`: ${report.dataset.cases} cases, ${report.dataset.intents.length} intents; configurations ${report.configs.map((c) => `\`${c}\``).join(', ')}.`,
    `Generated ${report.generatedAt}. Failed calls count in the error rate and are never scored.`,
    ...(report.configSource ? [`Configuration ids and prices: ${report.configSource.description}.`] : []),
  ];
  for (const intent of report.dataset.intents) {
    const choice = report.choices.find((c) => c.intent === intent);
    lines.push('', `## ${intent}`, '');
    lines.push(
      '| config | calls | errors | quality | pass rate | relevance | factual | completeness | format | safety | judge | cost/request | P95 ms |',
    );
    lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const row of report.rows.filter((r) => r.intent === intent)) lines.push(rowLine(row));
    if (choice)
      lines.push('', `Choice: **${choice.chosen ?? 'none'}** (${choice.reason}); Pareto front: ${choice.front.join(', ') || '-'}.`);
  }
  return `${lines.join('\n')}\n`;
}
