import { describe, expect, it } from 'vitest';
import { demoReport } from '../../test/support/choice-fixtures.ts';
import { sampleAnalysis, sampleCanary, sampleEvalReport } from '../../test/support/dashboard-fixtures.ts';
import { renderDashboard, scriptSafeJson, type ChartSpec } from './dashboard.ts';
import { DashboardAnalysis } from './dashboard/inputs.ts';
import { inlineSafe } from './dashboard/chart-js.ts';

interface Embedded {
  charts: ChartSpec[];
  analysis: unknown;
  evaluation: unknown;
  canaries: unknown;
}

function embedded(html: string): Embedded {
  const m = /<script type="application\/json" id="dashboard-data">([\s\S]*?)<\/script>/.exec(html);
  if (!m) throw new Error('no embedded data');
  return JSON.parse(m[1]!) as Embedded;
}

function chart(html: string, id: string): ChartSpec {
  const c = embedded(html).charts.find((x) => x.id === id);
  if (!c) throw new Error(`no chart ${id}`);
  return c;
}

const dataset = (c: ChartSpec, role: string) => c.datasets.find((d) => d.role === role);

describe('renderDashboard', () => {
  it('says so for every section when given no data, and draws no chart', () => {
    const html = renderDashboard({});
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('No analysis report.');
    expect(html).toContain('No offline evaluation report.');
    expect(html).toContain('No canary timelines supplied.');
    expect(html).not.toContain('<canvas');
    expect(embedded(html).charts).toEqual([]);
  });

  it('inlines Chart.js and makes no external request: no src, href to another origin, link or img element', () => {
    const html = renderDashboard({ analysis: sampleAnalysis(), evaluation: sampleEvalReport(), canaries: [sampleCanary()] });
    expect(html).toContain('Chart.js v4');
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/<img\b/i);
    expect(html).not.toMatch(/href="(?!#)/i);
    expect(html).toContain("default-src 'none'");
  });

  it('escapes names and reasons so that no data can close a script element or inject markup', () => {
    const analysis = sampleAnalysis();
    const evil = '</script><script>window.pwned=1</script><img src=x onerror=alert(1)>';
    analysis.intents[0]!.configId = evil;
    analysis.recommendation!.choices[0]!.reason = evil;
    const canary = sampleCanary();
    canary.decisions[1]!.reason = `${evil}\u2028&amp;`;
    const html = renderDashboard({ analysis, canaries: [canary], title: '<b>T</b>' });
    expect(html.match(/<\/script/gi)).toHaveLength(3);
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<b>T</b>');
    expect(html).toContain('&#60;b&#62;T&#60;/b&#62;');
    const data = embedded(html) as { analysis: typeof analysis; canaries: (typeof canary)[] };
    expect(data.analysis.intents[0]!.configId).toBe(evil);
    expect(data.canaries[0]!.decisions[1]!.reason).toBe(`${evil}\u2028&amp;`);
  });

  it('plots every configuration of an intent, the Pareto front by cost, the chosen and the current configuration', () => {
    const a = sampleAnalysis();
    const html = renderDashboard({ analysis: a });
    const cost = chart(html, 'intent-faq-cost-quality');
    const faq = a.intents.filter((r) => r.intent === 'faq');
    expect(dataset(cost, 'configs')!.data).toEqual(faq.map((r) => ({ x: r.costPerRequest, y: r.meanQuality, label: r.configId })));
    expect(dataset(cost, 'front')!.data.map((p) => (p as { label: string }).label)).toEqual(['haiku-35', 'sonnet-35-v2']);
    expect(dataset(cost, 'chosen')!.data).toEqual([{ x: 0.0012, y: 0.84, label: 'haiku-35' }]);
    expect(dataset(cost, 'current')!.data).toEqual([{ x: 0.0061, y: 0.9, label: 'sonnet-35-v2' }]);
    const latency = chart(html, 'intent-faq-latency-quality');
    expect(dataset(latency, 'configs')!.data).toEqual(faq.map((r) => ({ x: r.latencyMs![95], y: r.meanQuality, label: r.configId })));
    expect((dataset(latency, 'sla')!.data[0] as { x: number }).x).toBe(3000);
    expect(latency.axes.x!.title).toContain('(ms)');
    expect(cost.axes.x!.title).toContain('(USD)');
  });

  it('does not mark a recommendation that fails the rules as chosen', () => {
    const a = sampleAnalysis();
    const choice = a.recommendation!.choices[0]!;
    choice.recommended = 'sonnet-35-v2';
    choice.passing = [];
    const html = renderDashboard({ analysis: a });
    expect(dataset(chart(html, 'intent-faq-cost-quality'), 'chosen')).toBeUndefined();
    expect(html).toContain('No configuration passes');
  });

  it('draws experiment intervals, the traffic mix and the cost projection from the report', () => {
    const a = sampleAnalysis();
    const html = renderDashboard({ analysis: a });
    const intervals = chart(html, 'experiments-intervals');
    expect(dataset(intervals, 'ci')!.data).toEqual([[-0.075, -0.045]]);
    expect(dataset(intervals, 'sequential')!.data).toEqual([[-0.085, -0.035]]);
    expect(dataset(intervals, 'estimate')!.data).toEqual([-0.06]);
    expect(intervals.labels).toEqual(['haiku-faq (ROLLBACK)']);
    const mix = chart(html, 'traffic-mix');
    expect(mix.labels).toEqual(['faq', 'chitchat']);
    expect(dataset(mix, 'mix')!.data).toEqual([0.6, 0.4]);
    const cost = chart(html, 'cost-projection');
    expect(dataset(cost, 'current')!.data).toEqual([109_800, 16_800]);
    expect(dataset(cost, 'recommended')!.data).toEqual([21_600, 6_000]);
    expect(html).toContain('data-saving="99000"');
  });

  it('draws a canary as a stepped weight line up to its last update, with one marker set per action', () => {
    const canary = sampleCanary();
    const html = renderDashboard({ canaries: [canary] });
    const c = chart(html, 'canary-haiku-faq-canary-timeline');
    const weight = dataset(c, 'weight')!;
    expect(weight.stepped).toBe('before');
    expect(weight.data.map((p) => (p as { y: number }).y)).toEqual([0, 0, 5, 25, 25, 50, 0, 0]);
    expect(weight.data.map((p) => (p as { x: number }).x)).toEqual([0, 10, 15, 50, 75, 95, 140, 150]);
    expect(dataset(c, 'action:promote')!.data).toHaveLength(3);
    expect(dataset(c, 'action:rollback')!.data).toEqual([
      { x: 140, y: 0, label: 'rollback (50%): quality delta -0.045 below -0.03 <script>x</script>' },
    ]);
    expect(html).toContain('quality delta -0.045 below -0.03 &#60;script&#62;x&#60;/script&#62;');
  });

  it('shows the evaluation with its choices and scoring dimensions', () => {
    const e = sampleEvalReport();
    const html = renderDashboard({ evaluation: e });
    const rec = chart(html, 'eval-recommendation-cost-quality');
    expect(dataset(rec, 'configs')!.data).toHaveLength(3);
    expect(dataset(rec, 'chosen')!.data).toEqual([{ x: 0.009, y: 0.88, label: 'sonnet-35-v2' }]);
    expect(html).toContain('<th>relevance</th>');
    expect(html).toContain(e.runId);
    expect(html).toContain('No analysis report.');
  });

  it('shows rows under the minimum marked, ringed on both charts, and named in the verdict', () => {
    const analysis = DashboardAnalysis.parse(JSON.parse(JSON.stringify(demoReport())));
    const html = renderDashboard({ analysis });
    const card = (intent: string): string => {
      const m = new RegExp(`<article class="card" data-intent="${intent}">([\\s\\S]*?)</article>`).exec(html);
      if (!m) throw new Error(`no card ${intent}`);
      return m[1]!;
    };
    const chitchat = card('chitchat');
    const haikuRow = /<tr><td>haiku-35<br>([\s\S]*?)<\/tr>/.exec(chitchat)![1]!;
    expect(haikuRow).toContain('<span class="tag insufficient">insufficient data (n &#60; 30 scored)</span>');
    expect(haikuRow).not.toContain('tag pass');
    expect(/<tr><td>sonnet-35-v1<br>([\s\S]*?)<\/tr>/.exec(chitchat)![1]).not.toContain('insufficient');
    expect(chitchat).toContain('haiku-35 passes on 29 scored requests; 1 more needed');
    for (const id of ['intent-chitchat-cost-quality', 'intent-chitchat-latency-quality']) {
      const ring = dataset(chart(html, id), 'insufficient')!;
      expect(ring.label).toBe('Insufficient data (n < 30 scored)');
      expect(ring.data.map((p) => (p as { label: string }).label)).toEqual(['haiku-35']);
      expect(dataset(chart(html, id), 'configs')!.data).toHaveLength(2);
    }
    expect(dataset(chart(html, 'intent-checkout_help-cost-quality'), 'insufficient')).toBeUndefined();
    const returns = card('return_request');
    expect(returns).toContain('no configuration has enough data (n &#62;= 30 scored)');
    expect(returns).toContain('<span class="tag insufficient">');
    expect(html).not.toContain('no configuration has data');
  });

  it('says on the card when a cost tie was broken by quality', () => {
    const html = renderDashboard({ analysis: DashboardAnalysis.parse(JSON.parse(JSON.stringify(demoReport()))) });
    expect(html).toContain('<span class="tag tie" data-tie="sonnet-35-v2">cost tie broken by quality</span>');
    expect(html.match(/class="tag tie"/g)).toHaveLength(1);
    expect(html).toContain('broken by quality: sonnet-35-v2 0.910, sonnet-3 0.840');
    const chosen = dataset(chart(html, 'intent-checkout_help-cost-quality'), 'chosen')!;
    expect(chosen.data).toEqual([{ x: 0.00412, y: 0.91, label: 'sonnet-35-v2' }]);
  });

  it('reads reports written before rows carried the minimum mark', () => {
    const old = JSON.parse(JSON.stringify(sampleAnalysis())) as { intents: Record<string, unknown>[] };
    for (const r of old.intents) delete r.insufficient;
    const html = renderDashboard({ analysis: DashboardAnalysis.parse(old) });
    expect(html).not.toContain('tag insufficient');
  });

  it('lists experiments that could not be compared, with why and their sample-ratio check', () => {
    const report = {
      ...demoReport(),
      unanalysed: [
        { id: 'lost-arm', intent: 'faq', reason: 'not compared: the treatment arm has no requests', srm: { p: 1e-9, mismatch: true } },
      ],
    };
    const html = renderDashboard({ analysis: DashboardAnalysis.parse(JSON.parse(JSON.stringify(report))) });
    expect(html).toMatch(
      /<td>lost-arm<\/td><td>faq<\/td><td>[^<]*<strong>mismatch<\/strong><\/td><td><span[^>]*>NOT COMPARED<\/span><\/td><td>not compared: the treatment arm has no requests<\/td>/,
    );
  });

  it('keeps chart ids unique when names slug alike', () => {
    const a = sampleAnalysis();
    for (const r of a.intents) if (r.intent === 'chitchat') r.intent = 'FAQ';
    const ids = embedded(renderDashboard({ analysis: a })).charts.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain('intent-faq-2-cost-quality');
  });
});

describe('script-safe text', () => {
  it('writes <, >, & and line separators as JSON escapes that parse back unchanged', () => {
    const value = { s: '</script><!-- & \u2028\u2029' };
    const json = scriptSafeJson(value);
    expect(json).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(json)).toEqual(value);
  });

  it('breaks a closing script tag or a comment opener inside inlined code', () => {
    expect(inlineSafe('var a = "</SCRIPT>"; var b = "<!--";')).toBe('var a = "<\\/SCRIPT>"; var b = "<\\!--";');
  });
});
