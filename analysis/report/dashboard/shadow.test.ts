import { describe, expect, it } from 'vitest';
import { demoReport } from '../../../test/support/choice-fixtures.ts';
import { compareShadows } from '../../shadow.ts';
import type { ShadowPairRow } from '../../queries/shadow.ts';
import { renderDashboard } from '../dashboard.ts';
import { DashboardAnalysis } from './inputs.ts';

const side = (requestId: string, configId: string, costUsd: number, latencyMs: number, ok = true) => ({
  requestId,
  configId,
  ok,
  costUsd,
  latencyMs,
  outputTokens: 10,
  answer: null,
});
const pairs: ShadowPairRow[] = [1, 2, 3, 4].map((i) => ({
  route: 'mangaassist',
  intent: 'faq',
  prompt: null,
  live: side(`l${i}`, 'sonnet-35-v1', 0.5, 1000 + 10 * i),
  shadow: side(`s${i}`, 'haiku-35', 0.25, 400 + 20 * i, i !== 4),
}));

describe('dashboard: shadow candidates', () => {
  it('shows each candidate beside the live configuration with the paired differences, from the report as written', () => {
    const report = { ...demoReport(), shadow: compareShadows(pairs, []) };
    const analysis = DashboardAnalysis.parse(JSON.parse(JSON.stringify(report)));
    const html = renderDashboard({ analysis });
    const start = html.indexOf('id="shadow"');
    const section = html.slice(start, html.indexOf('</section>', start));
    expect(section).toContain('<td>sonnet-35-v1</td><td>haiku-35</td><td>4</td><td>0</td>');
    // Three pairs answered on both sides: the cost difference is exactly -$0.25 on each (no variance, no p-value)...
    expect(section).toContain('<td>-$0.25, p –</td>');
    // ... and latency differences of -590, -580 and -570 ms: mean -580, sd 10, t = -100.5 on 2 df.
    expect(section).toMatch(/<td>-580 ms \[-605 ms, -555 ms\], p 9\.9e-5<\/td>/);
    expect(section).toContain('0.0% / 25.0%');
  });

  it('says so when the analysis has no shadow traffic, also for reports written before it existed', () => {
    const { shadow: _none, ...old } = demoReport();
    const html = renderDashboard({ analysis: DashboardAnalysis.parse(JSON.parse(JSON.stringify(old))) });
    expect(html).toContain('No shadow traffic in this analysis.');
  });
});
