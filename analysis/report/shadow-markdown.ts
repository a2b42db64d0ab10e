import type { ShadowComparison } from '../shadow.ts';
import type { PairedResult } from '../stats/paired.ts';

const fixed = (x: number | null | undefined, digits: number): string =>
  x === null || x === undefined || Number.isNaN(x) ? '-' : x.toFixed(digits);

function pairedCell(r: PairedResult | null, digits: number): string {
  if (!r) return '-';
  const sign = r.diff > 0 ? '+' : '';
  const p = r.p === null ? 'p -' : r.p < 0.001 ? 'p < 0.001' : `p ${r.p.toFixed(3)}`;
  const ci = r.ci ? ` [${fixed(r.ci[0], digits)}, ${fixed(r.ci[1], digits)}]` : '';
  return `${sign}${fixed(r.diff, digits)}${ci}, ${p} (n ${r.n})`;
}

/** The shadow section: per intent, the candidate beside the live configuration on the same requests. */
export function shadowSection(rows: readonly ShadowComparison[]): string[] {
  if (!rows.length) return ['No shadow traffic in the period (or a store without shadow answers).', ''];
  const head = [
    'route',
    'intent',
    'live',
    'shadow',
    'pairs',
    'scored',
    'quality live / shadow',
    'Δ quality',
    'Δ cost USD',
    'Δ latency ms',
    'errors live / shadow',
  ];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => ' --- ').join('|')}|`];
  for (const r of rows) {
    const cells = [
      r.route,
      r.intent,
      r.live.configId,
      r.shadow.configId,
      String(r.pairs),
      String(r.scored),
      `${fixed(r.live.meanQuality, 3)} / ${fixed(r.shadow.meanQuality, 3)}`,
      pairedCell(r.quality, 3),
      pairedCell(r.costUsd, 6),
      pairedCell(r.latencyMs, 0),
      `${(r.live.errorRate * 100).toFixed(1)}% / ${(r.shadow.errorRate * 100).toFixed(1)}%`,
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  lines.push(
    '',
    'Δ is shadow minus live on the same request (paired t-test, 95% interval). Quality is the rule scorer against the golden case ' +
      'the prompt was built from; requests matching no case count for cost, latency and errors only. Pairs are requests: requests ' +
      'of one session are correlated, so these p-values are the naive per-request figures.',
    '',
  );
  return lines;
}
