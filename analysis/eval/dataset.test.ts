import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DATASET, formatDataset, parseDataset, readDataset } from './dataset.ts';
import { generateGoldenSet } from './generate.ts';
import { scoreAnswer } from './scorer.ts';

const INTENTS = ['recommendation', 'product_question', 'faq', 'order_tracking', 'promotion', 'checkout_help', 'chitchat', 'return_request'];

describe('golden dataset', () => {
  it('the committed set is exactly what the seeded generator writes', () => {
    expect(formatDataset(generateGoldenSet())).toBe(readFileSync(DEFAULT_DATASET, 'utf8'));
  });

  it('has at least 200 cases for each of the eight intents', () => {
    const cases = readDataset(DEFAULT_DATASET);
    const counts = new Map<string, number>();
    for (const c of cases) counts.set(c.intent, (counts.get(c.intent) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual([...INTENTS].sort());
    for (const intent of INTENTS) expect(counts.get(intent), intent).toBeGreaterThanOrEqual(200);
  });

  it('reference answers state every required fact, make no forbidden claim and pass the scorer', () => {
    for (const c of readDataset(DEFAULT_DATASET)) {
      const s = scoreAnswer(c, c.referenceAnswer);
      expect(s.evidence.factsMissing, c.testId).toEqual([]);
      expect(s.evidence.forbiddenFound, c.testId).toEqual([]);
      expect(s.passed, c.testId).toBe(true);
    }
  });

  it('keeps forbidden claims out of the prompt context', () => {
    for (const c of readDataset(DEFAULT_DATASET)) {
      const context = c.context.join('\n').toLowerCase();
      for (const claim of c.forbiddenClaims) expect(context.includes(claim.toLowerCase()), `${c.testId}: ${claim}`).toBe(false);
    }
  });

  it('reports bad lines with their line numbers', () => {
    const good = formatDataset(generateGoldenSet(1, 1).slice(0, 2)).trim().split('\n');
    const text = [good[0], '', '{not json', JSON.stringify({ testId: 'x' }), good[0], good[1]].join('\n');
    const parsed = parseDataset(text);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.errors.map((e) => e.line)).toEqual([3, 4, 5]);
    expect(parsed.errors[0]!.message).toMatch(/invalid JSON/);
    expect(parsed.errors[1]!.message).toMatch(/intent/);
    expect(parsed.errors[2]!.message).toMatch(/duplicate testId/);
  });
});
