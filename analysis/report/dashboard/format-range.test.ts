import { describe, expect, it } from 'vitest';
import { sampleAnalysis } from '../../../test/support/dashboard-fixtures.ts';
import { renderDashboard, type ChartSpec } from '../dashboard.ts';
import { fitRange } from './charts.ts';
import { usd } from './format.ts';

function charts(html: string): ChartSpec[] {
  const json = /<script type="application\/json" id="dashboard-data">([\s\S]*?)<\/script>/.exec(html)![1]!;
  return (JSON.parse(json) as { charts: ChartSpec[] }).charts;
}

describe('money on the dashboard', () => {
  it('is $0 for zero, cents from $0.10, three significant digits below, whole dollars from $100', () => {
    expect([0, -0, 0.5, 1.234, 0.0123, 0.00412, 0.000012, 1234.5, -0.0025, null].map(usd)).toEqual([
      '$0',
      '$0',
      '$0.50',
      '$1.23',
      '$0.0123',
      '$0.00412',
      '$0.0000120',
      '$1,235',
      '-$0.00250',
      '–',
    ]);
  });
});

describe('axis ranges', () => {
  it('fit the data with a margin, never below zero for non-negative data, and are absent without data', () => {
    expect(fitRange([60, 62])).toEqual({ suggestedMin: 59.8, suggestedMax: 62.2 });
    expect(fitRange([0.001, 0.001])!.suggestedMin).toBeGreaterThan(0);
    expect(fitRange([0, 0])).toEqual({ suggestedMin: 0, suggestedMax: 1 });
    expect(fitRange([0.01, 5])!.suggestedMin).toBe(0);
    expect(fitRange([-2, 2])).toEqual({ suggestedMin: -2.4, suggestedMax: 2.4 });
    expect(fitRange([])).toBeNull();
  });

  it('keep the SLA line on the latency chart only when it is near the data, and say so otherwise', () => {
    const near = sampleAnalysis();
    const far = sampleAnalysis();
    const p95s = near.intents.filter((r) => r.intent === 'faq').map((r) => r.latencyMs![95]);
    near.settings.maxP95LatencyMs = Math.max(...p95s) * 1.5;
    far.settings.maxP95LatencyMs = Math.max(...p95s) * 5;
    const latency = (html: string) => charts(html).find((c) => c.id === 'intent-faq-latency-quality')!;
    const nearChart = latency(renderDashboard({ analysis: near }));
    expect(nearChart.datasets.some((d) => d.role === 'sla')).toBe(true);
    expect(nearChart.axes.x!.suggestedMax).toBeGreaterThanOrEqual(near.settings.maxP95LatencyMs);
    const farHtml = renderDashboard({ analysis: far });
    expect(latency(farHtml).datasets.some((d) => d.role === 'sla')).toBe(false);
    expect(latency(farHtml).axes.x!.suggestedMax).toBeLessThan(far.settings.maxP95LatencyMs / 4);
    expect(farHtml).toContain(`P95 SLA ${far.settings.maxP95LatencyMs} ms is off the chart`);
  });

  it('count every experiment on the summary tile: analysed, not compared yet, or running without rows', () => {
    const a = sampleAnalysis();
    a.unanalysed = [{ id: 'waiting', intent: 'faq', reason: 'too few scored sessions', srm: null }];
    const tile = /<div data-tile="experiments">Experiments<strong>(\d+)<\/strong>/.exec(renderDashboard({ analysis: a }))![1];
    expect(Number(tile)).toBe(a.experiments.length + 1);
    const analysed = a.experiments[0]!.id;
    const running = renderDashboard({ analysis: a, runningExperiments: [analysed, 'no-rows-yet'] });
    expect(Number(/data-tile="experiments">Experiments<strong>(\d+)/.exec(running)![1])).toBe(a.experiments.length + 2);
    expect(running).toContain('2 running');
    expect(renderDashboard({ runningExperiments: ['only-running'] })).toContain('data-tile="experiments">Experiments<strong>1</strong>');
  });
});
