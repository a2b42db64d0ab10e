import type { ExperimentReport } from '../experiment.ts';
import type { UnanalysedExperiment } from '../unanalysed.ts';
import type { MarginTest } from '../stats/guardrail.ts';
import type { IntentConfigRow } from '../intent-table.ts';
import type { Recommendation } from '../recommend.ts';
import type { AnalysisReport } from './build.ts';
import { shadowSection } from './shadow-markdown.ts';

const dash = '-';

function num(x: number | null | undefined, digits = 3): string {
  return x === null || x === undefined || !Number.isFinite(x) ? dash : x.toFixed(digits);
}

function pct(x: number | null | undefined, digits = 1): string {
  return x === null || x === undefined ? dash : `${(100 * x).toFixed(digits)}%`;
}

function usd(x: number | null | undefined, digits = 5): string {
  if (x === null || x === undefined) return dash;
  return `${x < 0 ? '-' : ''}$${Math.abs(x).toFixed(digits)}`;
}

function pValue(p: number): string {
  return p < 1e-4 ? p.toExponential(1) : p.toFixed(4);
}

function table(head: string[], rows: string[][]): string[] {
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

function scoredCell(r: IntentConfigRow): string {
  return r.insufficient ? `${r.scored} *${r.insufficient.label}*` : String(r.scored);
}

/** The per-intent, per-configuration table as Markdown lines. */
export function intentSection(rows: IntentConfigRow[]): string[] {
  const head = [
    'intent',
    'config',
    'requests',
    'scored',
    'errors',
    'fallback',
    'guardrail',
    'quality (95% CI)',
    'pass',
    'cost/req',
    'cost/satisfactory',
    'quality/1K tok',
    'cache read',
    'latency P50/P95/P99 ms',
    'TTFT P50/P95/P99 ms',
    'quality/P95 s',
  ];
  const trio = (p: IntentConfigRow['latencyMs']) => (p ? `${Math.round(p[50])}/${Math.round(p[95])}/${Math.round(p[99])}` : dash);
  return table(
    head,
    rows.map((r) => [
      r.intent,
      r.configId,
      String(r.requests),
      scoredCell(r),
      pct(r.errorRate, 2),
      pct(r.fallbackShare, 2),
      pct(r.guardrailRate, 2),
      r.meanQuality === null ? dash : `${num(r.meanQuality)} (${num(r.qualityCi?.[0])}-${num(r.qualityCi?.[1])})`,
      pct(r.passRate),
      usd(r.costPerRequest),
      usd(r.costPerSatisfactory),
      num(r.qualityPer1kTokens),
      pct(r.cacheReadShare ?? null),
      trio(r.latencyMs),
      trio(r.ttftMs),
      num(r.qualityPerP95Second),
    ]),
  );
}

const SHARE_SOURCE = { recorded: 'recorded at routing', history: 'config store history', configuration: 'configuration split' } as const;

/** The sample-ratio line: the test, the sessions against their expectation, and the periods it combined. */
function srmLine(srm: ExperimentReport['srm']): string {
  if (!srm) {
    return "split unknown: no expected share recorded on the observations, in the config store's history or in the configuration analysed (the experiment is not in it); not checked";
  }
  const periods = srm.periods.map(
    (p) => `${p.label}: ${pct(p.treatmentShare)} treatment (${SHARE_SOURCE[p.source]}), ${p.control + p.treatment} sessions`,
  );
  return [
    `chi2 ${num(srm.chi2, 2)}, p ${pValue(srm.p)}${srm.mismatch ? ' **MISMATCH**' : ''}`,
    `sessions ${srm.observed[0]}/${srm.observed[1]} (control/treatment) vs expected ${num(srm.expected[0], 1)}/${num(srm.expected[1], 1)}`,
    `first seen in ${srm.periods.length} period${srm.periods.length === 1 ? '' : 's'} of constant assignment (${periods.join('; ')})`,
    ...(srm.unknownSessions ? [`${srm.unknownSessions} sessions with an unknown split left out`] : []),
  ].join(', ');
}

function experimentSection(e: ExperimentReport): string[] {
  const [c, t] = e.arms;
  const q = e.quality;
  const lines = [
    `### ${e.id}${e.intent ? ` (${e.intent})` : ''}: **${e.decision.decision}**`,
    '',
    e.decision.reason,
    '',
    ...table(
      ['arm', 'config', 'sessions', 'requests', 'errors', 'fallback', 'scored', 'quality', 'cost/req'],
      e.arms.map((a) => [
        a.arm,
        a.configId,
        String(a.sessions),
        String(a.requests),
        pct(a.errorRate, 2),
        pct(a.fallbackShare, 2),
        String(a.scored),
        num(a.meanQuality, 4),
        usd(a.costPerRequest),
      ]),
    ),
    '',
    `- Quality, session level (delta method): diff ${num(q.session.diff, 4)}, 95% CI [${num(q.session.ci[0], 4)}, ${num(q.session.ci[1], 4)}], p ${pValue(q.session.p)}`,
    `- Quality, naive per request (Welch): t ${num(q.naive.t, 2)}, df ${num(q.naive.df, 1)}, p ${pValue(q.naive.p)}, CI [${num(q.naive.ci[0], 4)}, ${num(q.naive.ci[1], 4)}]`,
    `- Relative lift: ${pct(q.lift.lift, 2)} (CI ${pct(q.lift.ci[0], 2)} to ${pct(q.lift.ci[1], 2)})`,
    `- Always-valid sequence: [${num(q.sequential.lower, 4)}, ${num(q.sequential.upper, 4)}]${q.sequential.significant ? ', excludes 0' : ''}`,
    `- Minimum sample size: ${q.minimumScoredPerArm} scored requests per arm; ${q.ready ? 'reached' : 'not reached'}`,
    `- Sample ratio: ${srmLine(e.srm)}`,
    `- Error rate: ${pct(c?.errorRate, 2)} vs ${pct(t?.errorRate, 2)} (two-sided p ${pValue(e.errors.p)}); ${guardrailLine(e.errorGuardrail)}`,
    `- Cost delta: ${usd(e.costDeltaPerRequest)}/request (always-valid interval ${usd(e.costInterval[0])} to ${usd(e.costInterval[1])})${e.costDeltaPerMonth === null ? '' : `, ${usd(e.costDeltaPerMonth, 0)}/month`}`,
  ];
  const { cartAdd, escalated, sessionDuration } = e.outcomes;
  if (cartAdd)
    lines.push(
      `- Cart add: ${pct(cartAdd.control.rate)} vs ${pct(cartAdd.treatment.rate)}, diff CI [${pct(cartAdd.ci[0], 2)}, ${pct(cartAdd.ci[1], 2)}], p ${pValue(cartAdd.p)}`,
    );
  if (escalated)
    lines.push(
      `- Escalation: ${pct(escalated.control.rate)} vs ${pct(escalated.treatment.rate)}, diff CI [${pct(escalated.ci[0], 2)}, ${pct(escalated.ci[1], 2)}], p ${pValue(escalated.p)}`,
    );
  if (sessionDuration)
    lines.push(
      `- Session duration: diff ${num(sessionDuration.diff, 1)} s, CI [${num(sessionDuration.ci[0], 1)}, ${num(sessionDuration.ci[1], 1)}], p ${pValue(sessionDuration.p)}`,
    );
  lines.push(`- Adjusted p-values: ${e.tests.map((x) => `${x.metric} (${x.basis}) ${pValue(x.adjustedP)}`).join(', ')}`, '');
  return lines;
}

/** An experiment that could not be compared: why, each arm's counts, and its sample-ratio check. */
function unanalysedSection(u: UnanalysedExperiment): string[] {
  const arms = u.arms.map(
    (a) => `${a.arm} ${a.configId ?? '-'}: ${a.sessions} sessions, ${a.requests} requests, ${a.errors} errors, ${a.scored} scored`,
  );
  return [
    `### ${u.id}${u.intent ? ` (${u.intent})` : ''}: **NOT COMPARED**`,
    '',
    `${u.reason}.`,
    '',
    `- Arms: ${arms.join('; ')}`,
    `- Sample ratio: ${srmLine(u.srm)}`,
    '',
  ];
}

function guardrailLine(g: MarginTest): string {
  const verdict = g.worse ? 'above the margin' : g.withinMargin ? 'within the margin' : 'not yet shown within the margin';
  return `guardrail (margin +${pct(g.margin, 2)}, always valid): interval [${pct(g.lower, 2)}, ${pct(g.upper, 2)}], p ${pValue(g.pWorse)} before correction, ${verdict}`;
}

function unknownLine(r: Recommendation): string {
  const missing = [...new Set([...r.current.unknown, ...r.recommended.unknown])];
  return missing.length ? `Left out of the projection (the configuration has no observed cost on that intent): ${missing.join(', ')}.` : '';
}

function tiesLine(r: Recommendation): string {
  const ties = r.choices.filter((c) => c.tie);
  if (!ties.length) return '';
  const one = ({ intent, tie }: Recommendation['choices'][number]): string => {
    const others = [tie!.cheapest, ...tie!.tied].filter((t) => t.configId !== tie!.chosen).map((t) => t.configId);
    return `${intent} (${tie!.chosen} over ${others.join(', ')})`;
  };
  return `- Cost ties broken by quality: ${ties.map(one).join(', ')}; the why column gives the costs and the rule that tied them.`;
}

function shortLine(r: Recommendation): string {
  const short = r.choices.filter((c) => c.insufficient.length);
  if (!short.length) return '';
  const one = (c: Recommendation['choices'][number]): string =>
    `${c.intent}: ${c.insufficient.map((s) => `${s.configId} (${s.scored} scored, ${s.needed} more needed)`).join(', ')}`;
  return `- Shown but not chosen, insufficient data: ${short.map(one).join('; ')}.`;
}

function recommendationSection(r: Recommendation): string[] {
  return [
    ...table(
      ['intent', 'current', 'recommended', 'Pareto front', 'why'],
      r.choices.map((c) => [
        c.intent,
        c.current,
        c.current === c.recommended ? c.recommended : `**${c.recommended}**`,
        c.front.join(', ') || dash,
        c.reason,
      ]),
    ),
    '',
    ...[tiesLine(r), shortLine(r)].filter(Boolean),
    ...(r.choices.some((c) => c.tie || c.insufficient.length) ? [''] : []),
    `Monthly cost at ${r.dailyVolume.toLocaleString('en-US')} messages/day, observed traffic mix: current table ${usd(r.currentMonthlyUsd, 0)}, recommended ${usd(r.recommendedMonthlyUsd, 0)}: **saving ${usd(r.monthlySavingUsd, 0)}/month**.`,
    unknownLine(r),
    '',
    'Routing table for the admin API:',
    '',
    '```json',
    JSON.stringify(r.route, null, 2),
    '```',
  ];
}

function choiceRulesLine(s: AnalysisReport['settings']): string {
  const uncertainty = s.costTieByUncertainty ? ` or within the ${pct(1 - s.alpha, 0)} interval of their difference` : '';
  return (
    `choice needs pass rate >= ${pct(s.minPassRate, 0)}, P95 <= ${s.maxP95LatencyMs} ms ` +
    `and at least ${s.minScoredForChoice} scored requests (rows under it are shown, marked and named); ` +
    `passing costs within ${pct(s.costTieTolerance, 0)} of the cheapest${uncertainty} tie, broken by quality.`
  );
}

/** Renders the report as a Markdown summary. */
export function renderMarkdown(r: AnalysisReport): string {
  const s = r.settings;
  const lines = [
    '# Model routing analysis',
    '',
    `Generated ${r.generatedAt}${r.since ? `, rows since ${r.since}` : ''}; ${r.liveRequests} live requests (eval and warm-up traffic excluded).`,
    ...(r.configSource ? [`Configuration analysed: ${r.configSource.description}.`] : []),
    `Quality gate ${s.qualityGate} (per-intent overrides: ${JSON.stringify(s.intentGates)}); ${choiceRulesLine(s)}`,
    'Percentiles are nearest-rank: the value at rank ceil(p x n / 100) of the sorted successful requests.',
    '',
    '## Per intent and configuration',
    '',
    ...intentSection(r.intents),
    '',
    '"fallback": share of requests a fallback configuration answered after this one throttled or failed; they stay in ' +
      'errors, cost and latency as the user got them (under the assigned configuration and arm) and are never scored.',
    '',
    '## Recommended routing',
    '',
    ...(r.recommendation ? recommendationSection(r.recommendation) : ['No route or no data.']),
    '',
    '## Experiments',
    '',
    ...(r.experiments.length ? r.experiments.flatMap(experimentSection) : ['No experiment with scored sessions in both arms.', '']),
    ...r.unanalysed.flatMap(unanalysedSection),
    '## Shadow candidates',
    '',
    ...shadowSection(r.shadow ?? []),
    `Multiplicity correction: ${s.correction === 'holm' ? 'Holm' : 'Benjamini-Hochberg'} across all experiments: ` +
      'quality and errors (the tests decisions act on) in one family, the session outcomes in another.',
    `Continuous monitoring, ${r.monitoring.experiments} simulated A/A experiments looked at every ${r.monitoring.lookEvery} sessions up to ${r.monitoring.maxPerArm} per arm: ` +
      `the sequential test rejected in ${pct(r.monitoring.aa.sequentialRate)}, the fixed test checked at every look in ${pct(r.monitoring.aa.fixedPeekingRate)} ` +
      `(once at the end: ${pct(r.monitoring.aa.fixedFinalRate)}) at alpha ${s.alpha}.`,
    '',
  ];
  return lines.join('\n');
}
