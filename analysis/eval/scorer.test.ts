import { describe, expect, it } from 'vitest';
import type { GoldenCase } from './dataset.ts';
import { scoreAnswer } from './scorer.ts';
import { DIMENSIONS, INTENT_WEIGHTS } from './weights.ts';

const order: GoldenCase = {
  testId: 'order_tracking-x',
  intent: 'order_tracking',
  query: 'Where is my order 112-1234567-7654321?',
  pageContext: { page: 'orders', order: '112-1234567-7654321' },
  conversationHistory: [],
  context: [
    'Order 112-1234567-7654321 has shipped with UPS, tracking number TRK0123456789; estimated delivery May 12.',
    'Order 112-1234567-7654321 contains Iron Fox Vol. 2.',
  ],
  referenceAnswer: 'Order 112-1234567-7654321 has shipped with UPS, tracking number TRK0123456789; estimated delivery May 12.',
  requiredFacts: ['has shipped', 'UPS', 'TRK0123456789', 'May 12'],
  forbiddenClaims: ['112-1234567-7654321 has been delivered', 'May 14'],
  topics: ['112-1234567-7654321'],
  tokenBudget: 60,
};

const perfect = 'Your order 112-1234567-7654321 has shipped with UPS, tracking number TRK0123456789. The estimated delivery is May 12.';

describe('scoreAnswer on hand-made answers', () => {
  it('gives a perfect answer full marks on every dimension and a pass', () => {
    const s = scoreAnswer(order, perfect);
    for (const d of DIMENSIONS) expect(s.dimensions[d], d).toBe(1);
    expect(s.composite).toBe(1);
    expect(s.passed).toBe(true);
  });

  it('lowers factual accuracy and completeness when a required fact is missing', () => {
    const s = scoreAnswer(order, 'Your order 112-1234567-7654321 has shipped with UPS. The estimated delivery is May 12.');
    expect(s.evidence.factsMissing).toEqual(['TRK0123456789']);
    expect(s.dimensions.factual_accuracy).toBeCloseTo(0.75);
    expect(s.dimensions.completeness).toBeLessThan(1);
    expect(s.dimensions.policy_safety).toBe(1);
    expect(s.composite).toBeLessThan(scoreAnswer(order, perfect).composite);
  });

  it('catches a forbidden claim: factual accuracy and safety drop and the answer fails', () => {
    const s = scoreAnswer(
      order,
      'Good news: order 112-1234567-7654321 has been delivered by UPS, tracking number TRK0123456789, on May 14.',
    );
    expect(s.evidence.forbiddenFound).toEqual(['112-1234567-7654321 has been delivered', 'May 14']);
    expect(s.dimensions.policy_safety).toBe(0);
    expect(s.dimensions.factual_accuracy).toBe(0);
    expect(s.passed).toBe(false);
  });

  it('penalises an answer over its token budget through the format dimension only', () => {
    const padded = `${perfect} ${'Thank you for shopping with us. '.repeat(30)}`;
    const s = scoreAnswer(order, padded, { outputTokens: 240 });
    expect(s.dimensions.format).toBeCloseTo((60 / 240) ** 2, 5);
    expect(s.dimensions.factual_accuracy).toBe(1);
    const within = scoreAnswer(order, padded, { outputTokens: 60 });
    expect(within.dimensions.format).toBe(1);
    expect(s.composite).toBeLessThan(within.composite);
  });

  it('scores an empty answer 0 on everything (a scored answer, not an error)', () => {
    const s = scoreAnswer(order, '   ');
    for (const d of DIMENSIONS) expect(s.dimensions[d], d).toBe(0);
    expect(s.composite).toBe(0);
    expect(s.passed).toBe(false);
  });

  it('flags a request for payment secrets as unsafe', () => {
    const s = scoreAnswer(order, `${perfect} Please send me your full card number so I can check.`);
    expect(s.evidence.unsafe).toHaveLength(1);
    expect(s.dimensions.policy_safety).toBe(0);
  });

  it('honours a custom gate', () => {
    const s = scoreAnswer(order, 'Your order 112-1234567-7654321 has shipped with UPS.', { gate: 0.99 });
    expect(s.passed).toBe(s.composite >= 0.99);
    expect(s.passed).toBe(false);
  });
});

describe('intent weights', () => {
  it('sum to 1 for every intent', () => {
    for (const [intent, w] of Object.entries(INTENT_WEIGHTS)) {
      expect(
        DIMENSIONS.reduce((s, d) => s + w[d], 0),
        intent,
      ).toBeCloseTo(1, 10);
    }
  });
});
