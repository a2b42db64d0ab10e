import { describe, expect, it } from 'vitest';
import { buildReport, percentiles } from './report.ts';
import { reportMarkdown } from './report-markdown.ts';
import type { EvalResult } from './store.ts';

const dims = (x: number) => ({ relevance: x, factual_accuracy: x, completeness: x, format: 1, policy_safety: 1 });

function result(configId: string, i: number, quality: number | null, extra: Partial<EvalResult> = {}): EvalResult {
  const ok = quality !== null;
  return {
    runId: 'r',
    dataset: 'd',
    testId: `t${i}`,
    intent: 'chitchat',
    configId,
    requestId: `q${i}`,
    status: ok ? 'ok' : 'error',
    errorCode: ok ? null : 'InternalServerException',
    quality,
    passed: ok ? quality >= 0.75 : null,
    dimensions: ok ? dims(quality) : null,
    judge: null,
    inputTokens: ok ? 100 : 0,
    outputTokens: ok ? 50 : 0,
    costUsd: ok ? 0.001 : 0,
    latencyMs: 100 + i,
    ttftMs: ok ? 100 + i : null,
    time: 0,
    ...extra,
  };
}

describe('percentiles', () => {
  it('uses nearest rank', () => {
    const values = Array.from({ length: 20 }, (_, i) => 20 - i);
    expect(percentiles(values)).toEqual({ 50: 10, 95: 19, 99: 20 });
    expect(percentiles([])).toBeUndefined();
  });
});

describe('buildReport', () => {
  it('counts failed calls as errors, never as quality 0, and chooses the cheapest passing configuration', () => {
    const results = [
      ...[0.9, 0.9, 0.8, 0.85].map((q, i) => result('big', i, q, { costUsd: 0.01 })),
      ...[0.8, 0.8, 0.9].map((q, i) => result('small', i, q)),
      result('small', 3, null),
    ];
    const report = buildReport({
      runId: 'r',
      datasetPath: 'd',
      casesPerIntent: { chitchat: 4 },
      configs: ['big', 'small'],
      results,
      now: new Date(0),
    });
    const small = report.rows.find((r) => r.configId === 'small')!;
    expect(small.requests).toBe(4);
    expect(small.errorRate).toBe(0.25);
    expect(small.scored).toBe(3);
    expect(small.meanQuality).toBeCloseTo(2.5 / 3);
    expect(small.dimensions.relevance).toBeCloseTo(2.5 / 3);
    expect(small.dimensions.judge).toBeNull();
    expect(small.latencyMs).toEqual({ 50: 101, 95: 102, 99: 102 });
    expect(report.choices).toEqual([expect.objectContaining({ intent: 'chitchat', chosen: 'small', passing: ['small', 'big'] })]);
    expect(report.dataset).toEqual({ path: 'd', cases: 4, intents: ['chitchat'] });
    expect(report.generatedAt).toBe('1970-01-01T00:00:00.000Z');
  });

  it('chooses nothing when no configuration reaches the pass-rate gate, naming the closest', () => {
    const results = [0.5, 0.9, 0.6, 0.7, 0.95].map((q, i) => result('a', i, q));
    const report = buildReport({ runId: 'r', datasetPath: 'd', casesPerIntent: { chitchat: 5 }, configs: ['a'], results });
    expect(report.choices[0]).toMatchObject({ chosen: null, closest: 'a', passing: [] });
  });

  it("marks and names a configuration under the run's minimum (half the intent's cases) and breaks cost ties by quality", () => {
    const results = [
      ...[0.9, 0.9, 0.8, 0.85, 0.9, 0.9].map((q, i) => result('tied-better', i, q, { costUsd: 0.00101 })),
      ...[0.8, 0.8, 0.8, 0.8, 0.8, 0.8].map((q, i) => result('tied-cheaper', i, q)),
      ...[0.9, 0.9].map((q, i) => result('short', i, q, { costUsd: 0.0001 })),
      ...[0, 1, 2, 3].map((i) => result('short', 2 + i, null)),
    ];
    const configs = ['tied-better', 'tied-cheaper', 'short'];
    const report = buildReport({ runId: 'r', datasetPath: 'd', casesPerIntent: { chitchat: 6 }, configs, results });
    const mark = { label: 'insufficient data (n < 3 scored)', minScored: 3, needed: 1 };
    expect(report.rows.find((r) => r.configId === 'short')!.insufficient).toEqual(mark);
    const [choice] = report.choices;
    const tie = { cheapest: { configId: 'tied-cheaper' } };
    expect(choice).toMatchObject({ chosen: 'tied-better', passing: ['tied-cheaper', 'tied-better'], tie });
    expect(choice!.reason).toContain('insufficient data (n < 3 scored): short passes on 2 scored requests; 1 more needed');
    expect(reportMarkdown(report)).toContain('| short *insufficient data (n < 3 scored)* | 6 |');
  });
});
