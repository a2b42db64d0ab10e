import { describe, expect, it } from 'vitest';
import { demoReport, demoRows, intentRow } from '../test/support/choice-fixtures.ts';
import { DEFAULT_CHOICE_RULES } from './choice.ts';
import { buildRow } from './intent-table.ts';
import { chooseForIntent } from './recommend.ts';

describe('rows under the minimum of scored requests', () => {
  it('marks a row with 29 scored requests and not one with 30', () => {
    const cell = {
      intent: 'chitchat',
      configId: 'haiku-35',
      requests: 29,
      errors: 0,
      costUsd: 0,
      costSumSq: 0,
      unpriced: 0,
      scored: 29,
      qualitySum: 27,
      qualitySumSq: 25.2,
      passes: 29,
      scoredTokens: 0,
      guardrailed: 0,
    };
    const mark = { label: 'insufficient data (n < 30 scored)', minScored: 30, needed: 1 };
    expect(buildRow(cell, undefined, undefined, 0.05, 30).insufficient).toEqual(mark);
    expect(buildRow({ ...cell, scored: 30 }, undefined, undefined, 0.05, 30).insufficient).toBeNull();
  });

  it('keeps the spread of cost per request from the sums', () => {
    const costs = [0.001, 0.002, 0.004];
    const sums = { costUsd: costs.reduce((a, b) => a + b, 0), costSumSq: costs.reduce((a, b) => a + b * b, 0) };
    const cell = {
      intent: 'faq',
      configId: 'x',
      requests: 3,
      errors: 0,
      unpriced: 0,
      scored: 0,
      qualitySum: 0,
      qualitySumSq: 0,
      passes: 0,
      scoredTokens: 0,
      guardrailed: 0,
      ...sums,
    };
    const mean = sums.costUsd / 3;
    const sd = Math.sqrt(costs.reduce((a, b) => a + (b - mean) ** 2, 0) / 2);
    expect(buildRow(cell, undefined, undefined, 0.05, 30).costSd).toBeCloseTo(sd, 15);
    expect(buildRow({ ...cell, unpriced: 1 }, undefined, undefined, 0.05, 30).costSd).toBeNull();
  });

  it("names chitchat's haiku-35 in the recommendation and keeps it out of the choice", () => {
    const { choice, insufficient, reason } = chooseForIntent(demoRows(), 'chitchat', DEFAULT_CHOICE_RULES, 'sonnet-35-v1');
    expect(choice.chosen?.configId).toBe('sonnet-35-v1');
    expect(insufficient.map((s) => s.configId)).toEqual(['haiku-35']);
    expect(reason).toBe(
      'sonnet-35-v1 is the cheapest of 1 passing configuration(s) (pass rate 96.0%, P95 1100 ms); ' +
        'insufficient data (n < 30 scored): haiku-35 passes on 29 scored requests; 1 more needed',
    );
  });

  it('never says "no configuration has data" when an intent has rows', () => {
    const rows = [
      ...demoRows(),
      intentRow('return_request', 'haiku-35', { requests: 4, scored: 0, quality: 0, passRate: 0, cost: 0, costSd: 0, p95: 0 }),
    ];
    const { choice, reason } = chooseForIntent(rows, 'return_request', DEFAULT_CHOICE_RULES, 'sonnet-35-v1');
    expect(choice.chosen).toBeNull();
    expect(reason).not.toContain('no configuration has data');
    expect(reason).toBe(
      'no configuration has enough data (n >= 30 scored); keeping sonnet-35-v1; insufficient data (n < 30 scored): ' +
        'sonnet-35-v1 passes on 21 scored requests; 9 more needed; haiku-35 has no scored requests; 30 more needed',
    );
  });

  it('says why a row with enough scored requests is not ranked', () => {
    const priced = intentRow('faq', 'custom', { requests: 50, scored: 50, quality: 0.9, passRate: 0.9, cost: 0, costSd: 0, p95: 900 });
    const rows = [{ ...priced, costPerRequest: null, costSd: null }];
    const { reason, unranked } = chooseForIntent(rows, 'faq', DEFAULT_CHOICE_RULES);
    expect(unranked).toEqual(['custom is not ranked (requests without a price)']);
    expect(reason).toBe('no configuration can be ranked; custom is not ranked (requests without a price)');
    expect(chooseForIntent([], 'faq', DEFAULT_CHOICE_RULES).reason).toBe('no configuration has data');
  });
});

describe('recommendation in the JSON report', () => {
  it('carries the marks, the short configurations and the tie', () => {
    const json = JSON.parse(JSON.stringify(demoReport())) as ReturnType<typeof demoReport>;
    const row = (intent: string, id: string) => json.intents.find((r) => r.intent === intent && r.configId === id)!;
    expect(row('chitchat', 'haiku-35').insufficient?.label).toBe('insufficient data (n < 30 scored)');
    expect(row('chitchat', 'sonnet-35-v1').insufficient).toBeNull();
    expect(row('return_request', 'sonnet-35-v1').insufficient?.needed).toBe(9);
    const choice = (intent: string) => json.recommendation!.choices.find((c) => c.intent === intent)!;
    const haiku = { configId: 'haiku-35', scored: 29, needed: 1, passes: true, passRate: 1, p95LatencyMs: 420 };
    expect(choice('chitchat').insufficient).toEqual([haiku]);
    expect(choice('return_request').recommended).toBe('sonnet-35-v1');
    expect(choice('checkout_help').recommended).toBe('sonnet-35-v2');
    expect(choice('checkout_help').tie).toMatchObject({
      chosen: 'sonnet-35-v2',
      cheapest: { configId: 'sonnet-3' },
      tied: [{ configId: 'sonnet-35-v2', ground: { rule: 'tolerance' } }],
    });
    const table = { chitchat: 'sonnet-35-v1', return_request: 'sonnet-35-v1', checkout_help: 'sonnet-35-v2' };
    expect(json.recommendation!.route.table).toEqual(table);
    expect(json.settings).toMatchObject({ minScoredForChoice: 30, costTieTolerance: 0.02, costTieByUncertainty: true });
  });
});
