import { describe, expect, it } from 'vitest';
import { DEFAULT_DATASET, readDataset } from './eval/dataset.ts';
import { buildPrompt } from './eval/prompt.ts';
import { scoreAnswer } from './eval/scorer.ts';
import type { PairSide, ShadowPairRow } from './queries/shadow.ts';
import { compareShadows, goldenIndex } from './shadow.ts';

const cases = readDataset(DEFAULT_DATASET)
  .filter((c) => c.intent === 'faq')
  .slice(0, 6);

const side = (id: string, configId: string, answer: string | null, over: Partial<PairSide> = {}): PairSide => ({
  requestId: id,
  configId,
  ok: true,
  costUsd: 0.001,
  latencyMs: 800,
  outputTokens: 40,
  answer,
  ...over,
});

describe('goldenIndex', () => {
  it('finds a case by its whole evaluator prompt, else by the question, else not at all', () => {
    const find = goldenIndex(cases);
    const c = cases[0]!;
    expect(find(buildPrompt(c).user)).toBe(c);
    expect(find(`  ${c.query} `)?.query).toBe(c.query);
    expect(find('<question>\nno such question anywhere\n</question>')).toBeUndefined();
    expect(find(null)).toBeUndefined();
  });
});

describe('compareShadows', () => {
  it('scores both answers of every matched pair with the rule scorer and tests the per-request differences', () => {
    const rows: ShadowPairRow[] = cases.map((c, i) => ({
      route: 'mangaassist',
      intent: 'faq',
      prompt: buildPrompt(c).user,
      live: side(`l${i}`, 'sonnet-35-v1', c.referenceAnswer, { latencyMs: 1000 + i }),
      shadow: side(`s${i}`, 'haiku-35', i % 2 ? 'I cannot help with that.' : c.referenceAnswer, { costUsd: 0.0004, latencyMs: 500 }),
    }));
    rows.push({
      route: 'mangaassist',
      intent: 'faq',
      prompt: 'unknown question',
      live: side('lx', 'sonnet-35-v1', 'x'),
      shadow: side('sx', 'haiku-35', 'y'),
    });
    const [r] = compareShadows(rows, cases);
    expect(r).toMatchObject({
      route: 'mangaassist',
      intent: 'faq',
      pairs: cases.length + 1,
      bothOk: cases.length + 1,
      scored: cases.length,
    });
    const liveScores = cases.map((c) => scoreAnswer(c, c.referenceAnswer, { outputTokens: 40 }).composite);
    const shadowScores = cases.map(
      (c, i) => scoreAnswer(c, i % 2 ? 'I cannot help with that.' : c.referenceAnswer, { outputTokens: 40 }).composite,
    );
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(r!.live.meanQuality).toBeCloseTo(mean(liveScores), 12);
    expect(r!.shadow.meanQuality).toBeCloseTo(mean(shadowScores), 12);
    expect(r!.quality!.diff).toBeCloseTo(mean(shadowScores) - mean(liveScores), 12);
    expect(r!.quality!.diff).toBeLessThan(0);
    // The unmatched pair costs the same on both sides: it counts for cost, not for quality.
    expect(r!.costUsd!.diff).toBeCloseTo((-0.0006 * cases.length) / (cases.length + 1), 12);
    expect(r!.latencyMs!.n).toBe(cases.length + 1);
  });

  it('keeps failures as error rates, out of the quality, cost and latency differences', () => {
    const rows: ShadowPairRow[] = [0, 1, 2, 3].map((i) => ({
      route: 'r',
      intent: 'faq',
      prompt: buildPrompt(cases[i]!).user,
      live: side(`l${i}`, 'a', cases[i]!.referenceAnswer),
      shadow: side(`s${i}`, 'b', i === 0 ? null : cases[i]!.referenceAnswer, i === 0 ? { ok: false, costUsd: null, outputTokens: 0 } : {}),
    }));
    const [r] = compareShadows(rows, cases);
    expect(r).toMatchObject({ pairs: 4, bothOk: 3, scored: 3 });
    expect(r!.shadow.errorRate).toBe(0.25);
    expect(r!.live.errorRate).toBe(0);
    expect(r!.quality!.n).toBe(3);
    expect(r!.latencyMs!.n).toBe(3);
  });

  it('compares each (route, intent, live, candidate) group on its own', () => {
    const row = (intent: string, shadow: string): ShadowPairRow => ({
      route: 'r',
      intent,
      prompt: null,
      live: side('l', 'a', null),
      shadow: side('s', shadow, null),
    });
    const out = compareShadows([row('faq', 'b'), row('faq', 'c'), row('chitchat', 'b'), row('faq', 'b')], []);
    expect(out.map((o) => [o.intent, o.shadow.configId, o.pairs])).toEqual([
      ['chitchat', 'b', 1],
      ['faq', 'b', 2],
      ['faq', 'c', 1],
    ]);
  });
});
