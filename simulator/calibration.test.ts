import { describe, expect, it } from 'vitest';
import { SCENARIO_D_COLD_START } from './app.ts';
import { planCall, totalLatencyMs, type CallPlan } from './plan.ts';
import { defaultProfiles, parseProfiles, withColdStarts, type ProfileSet } from './profiles.ts';
import { sampleQuality } from './quality.ts';
import { callSeed, createRng, hashString } from './rng.ts';
import { CUSTOM, HAIKU, SONNET_3, SONNET_V1, SONNET_V2 } from './test-support.ts';

const N = 2000;
const INTENTS = [
  'recommendation',
  'product_question',
  'faq',
  'order_tracking',
  'chitchat',
  'promotion',
  'checkout_help',
  'return_request',
  'other',
];

function plans(modelId: string, intent: string, { firstIndex = 10_000, profiles = defaultProfiles() as ProfileSet } = {}): CallPlan[] {
  const profile = profiles.models.get(modelId)!;
  const seed = hashString('calibration');
  const out: CallPlan[] = [];
  for (let i = 0; i < N; i++) {
    const index = firstIndex + i;
    out.push(planCall(profile, intent, index, createRng(callSeed(seed, hashString(modelId), index))));
  }
  return out;
}

function p95(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(0.95 * sorted.length)]!;
}

function mean(values: number[]): number {
  return values.reduce((s, v) => s + v, 0) / values.length;
}

function latencyP95(modelId: string, options?: Parameters<typeof plans>[2]): number {
  return p95(plans(modelId, 'recommendation', options).map((p) => totalLatencyMs(p, p.targetTokens)));
}

function qualities(modelId: string, intent: string): number[] {
  return plans(modelId, intent).map((p) => p.quality);
}

const passRate = (values: number[]): number => values.filter((v) => v >= 0.75).length / values.length;

describe('latency calibration (recommendation, P95 of ttft + output / tps)', () => {
  it.each([
    [SONNET_V2, 2000],
    [SONNET_V2, 2100],
    [SONNET_V2, 1950],
    [HAIKU, 890],
    [SONNET_V1, 2100],
    [CUSTOM, 2000],
  ])('%s is within 15%% of %i ms', (modelId, target) => {
    const value = latencyP95(modelId);
    expect(Math.abs(value - target) / target).toBeLessThan(0.15);
  });

  it('orders the models: Haiku fastest, Claude 3 Sonnet slowest, v2 a bit faster than v1', () => {
    const [haiku, v2, v1, sonnet3] = [HAIKU, SONNET_V2, SONNET_V1, SONNET_3].map((m) => latencyP95(m));
    expect(haiku!).toBeLessThan(v2! * 0.6);
    expect(v2!).toBeLessThan(v1!);
    expect(v1!).toBeLessThan(sonnet3!);
  });

  it('reproduces Scenario D: the first few hundred calls 3-4x slower, then warm', () => {
    const firstCalls = (profiles: ProfileSet, modelId: string): CallPlan[] => plans(modelId, 'recommendation', { firstIndex: 0, profiles });
    const coldV2 = withColdStarts(defaultProfiles(), { [SONNET_V2]: SCENARIO_D_COLD_START });
    for (const [profiles, modelId] of [
      [defaultProfiles(), CUSTOM],
      [coldV2, SONNET_V2],
    ] as const) {
      const calls = firstCalls(profiles, modelId);
      const early = p95(calls.slice(0, 300).map((p) => totalLatencyMs(p, p.targetTokens)));
      const ratio = early / latencyP95(modelId);
      expect(ratio, modelId).toBeGreaterThan(3);
      expect(ratio, modelId).toBeLessThan(4);
      expect(calls[299]!.slowdown).toBe(3.5);
      expect(calls[300]!.slowdown).toBe(1);
    }
    expect(firstCalls(defaultProfiles(), SONNET_V2)[0]!.slowdown).toBe(1);
  });

  it('gives Scenario C output lengths', () => {
    const expected: Record<string, number> = { recommendation: 450, faq: 300, product_question: 200, order_tracking: 150, promotion: 250 };
    for (const [intent, tokens] of Object.entries(expected)) {
      const avg = mean(plans(SONNET_V2, intent).map((p) => p.targetTokens));
      expect(Math.abs(avg - tokens) / tokens, intent).toBeLessThan(0.05);
    }
  });
});

describe('quality calibration', () => {
  it('Sonnet 3.5 v2 recommendation: mean 0.84, about 91% pass at 0.75', () => {
    const q = qualities(SONNET_V2, 'recommendation');
    expect(mean(q)).toBeCloseTo(0.84, 1);
    expect(Math.abs(mean(q) - 0.84)).toBeLessThan(0.01);
    expect(Math.abs(passRate(q) - 0.91)).toBeLessThan(0.03);
  });

  it('Haiku 3.5 recommendation: mean 0.72, about 58% pass at 0.75', () => {
    const q = qualities(HAIKU, 'recommendation');
    expect(Math.abs(mean(q) - 0.72)).toBeLessThan(0.015);
    expect(Math.abs(passRate(q) - 0.58)).toBeLessThan(0.04);
  });

  it('Haiku is good enough on chitchat and order tracking', () => {
    expect(mean(qualities(HAIKU, 'chitchat'))).toBeGreaterThanOrEqual(0.85);
    expect(mean(qualities(HAIKU, 'order_tracking'))).toBeGreaterThanOrEqual(0.85);
  });

  it('Sonnet 3.5 v2 per intent matches the declared means', () => {
    const expected: Record<string, number> = {
      recommendation: 0.84,
      faq: 0.88,
      product_question: 0.82,
      order_tracking: 0.91,
      promotion: 0.81,
    };
    for (const [intent, target] of Object.entries(expected))
      expect(Math.abs(mean(qualities(SONNET_V2, intent)) - target), intent).toBeLessThan(0.01);
  });

  it('overall (uniform over intents): v2 about 0.86, v1 about 0.84, Claude 3 Sonnet a bit below v1', () => {
    const overall = (m: string): number => mean(INTENTS.map((i) => mean(qualities(m, i))));
    const [v2, v1, s3] = [overall(SONNET_V2), overall(SONNET_V1), overall(SONNET_3)];
    expect(Math.abs(v2 - 0.86)).toBeLessThan(0.01);
    expect(Math.abs(v1 - 0.84)).toBeLessThan(0.01);
    expect(s3).toBeLessThan(v1);
    expect(s3).toBeGreaterThan(v1 - 0.06);
  });

  it('the custom endpoint is strong on order tracking and FAQ, weaker elsewhere', () => {
    for (const intent of ['order_tracking', 'faq'])
      expect(mean(qualities(CUSTOM, intent))).toBeGreaterThan(mean(qualities(SONNET_V1, intent)));
    for (const intent of ['recommendation', 'product_question', 'promotion'])
      expect(mean(qualities(CUSTOM, intent))).toBeLessThan(mean(qualities(HAIKU, intent)) + 0.01);
  });

  it('sampleQuality draws from the declared distribution and stays in [0, 1]', () => {
    const rng = createRng(99);
    const q = Array.from({ length: N }, () => sampleQuality(SONNET_V2, 'faq', rng));
    expect(Math.abs(mean(q) - 0.88)).toBeLessThan(0.01);
    expect(q.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(() => sampleQuality('no-such-model', 'faq', rng)).toThrow(/unknown model/);
  });
});

describe('profiles loader', () => {
  it('rejects impossible quality distributions and missing defaults', () => {
    const spec = JSON.parse(JSON.stringify(defaultProfiles().models.get(HAIKU)!.spec));
    expect(() => parseProfiles({ intentBudgets: { other: 800 }, models: { m: spec } })).not.toThrow();
    expect(() => parseProfiles({ intentBudgets: { faq: 800 }, models: { m: spec } })).toThrow(/other/);
    const wide = { ...spec, quality: { ...spec.quality, faq: { mean: 0.9, sd: 0.4 } } };
    expect(() => parseProfiles({ intentBudgets: { other: 800 }, models: { m: wide } })).toThrow(/quality\.faq/);
    const noDefault = { ...spec, outputFraction: { faq: 0.2 } };
    expect(() => parseProfiles({ intentBudgets: { other: 800 }, models: { m: noDefault } })).toThrow(/default/);
  });
});
