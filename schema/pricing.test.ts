import { describe, expect, it } from 'vitest';
import { GatewayConfig, formatIssues } from './config.ts';
import { costOf, pricingKeyOf } from './pricing.ts';

const HAIKU = 'anthropic.claude-3-5-haiku-20241022-v1:0';
const PRICING = {
  [HAIKU]: { inputPer1k: 0.001, outputPer1k: 0.005, cacheReadPer1k: 0.0001, cacheWritePer1k: 0.00125 },
  'us.special-model': { inputPer1k: 1, outputPer1k: 1 },
};
const APP_ARN = 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6';

describe('pricingKeyOf: inference profiles priced as their base model', () => {
  it.each(['us', 'us-gov', 'eu', 'apac', 'jp', 'au', 'global'])('a cross-region profile id with the %s. prefix', (prefix) => {
    expect(pricingKeyOf(PRICING, `${prefix}.${HAIKU}`)).toBe(HAIKU);
  });

  it('the exact id first: a pricing row for the profile id itself wins over its base model', () => {
    expect(pricingKeyOf(PRICING, HAIKU)).toBe(HAIKU);
    expect(pricingKeyOf(PRICING, 'us.special-model')).toBe('us.special-model');
  });

  it('ARNs of a foundation model or a system-defined inference profile name their model', () => {
    expect(pricingKeyOf(PRICING, `arn:aws:bedrock:us-east-1::foundation-model/${HAIKU}`)).toBe(HAIKU);
    expect(pricingKeyOf(PRICING, `arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.${HAIKU}`)).toBe(HAIKU);
    expect(pricingKeyOf(PRICING, `arn:aws-us-gov:bedrock:us-gov-west-1:123456789012:inference-profile/us-gov.${HAIKU}`)).toBe(HAIKU);
  });

  it('an application inference profile ARN is priced only under its own key', () => {
    expect(pricingKeyOf(PRICING, APP_ARN)).toBeUndefined();
    expect(pricingKeyOf({ ...PRICING, [APP_ARN]: { inputPer1k: 2, outputPer1k: 3 } }, APP_ARN)).toBe(APP_ARN);
  });

  it('unknown ids, unknown prefixes and a prefix alone stay unpriced', () => {
    for (const id of ['no-such-model', `xx.${HAIKU}`, `us.no-such-model`, 'us.', `US.${HAIKU}`, 'constructor', 'toString']) {
      expect(pricingKeyOf(PRICING, id), id).toBeUndefined();
    }
  });
});

describe('costOf', () => {
  it('prices cache reads and writes at their own rates', () => {
    // (100 x 0.001 + 50 x 0.005 + 2000 x 0.0001 + 300 x 0.00125) / 1000
    const cost = costOf(PRICING[HAIKU], { inputTokens: 100, outputTokens: 50, cacheReadInputTokens: 2000, cacheWriteInputTokens: 300 });
    expect(Math.abs(cost - 0.000925)).toBeLessThan(1e-12);
  });

  it('without cache prices, cache tokens cost as input; absent or null counts cost nothing', () => {
    const price = { inputPer1k: 0.003, outputPer1k: 0.015 };
    expect(
      Math.abs(costOf(price, { inputTokens: 10, outputTokens: 0, cacheReadInputTokens: 90, cacheWriteInputTokens: 100 }) - 0.0006),
    ).toBeLessThan(1e-12);
    expect(costOf(price, { inputTokens: 1000, outputTokens: 1000, cacheReadInputTokens: null })).toBeCloseTo(0.018, 12);
  });
});

describe('configuration validation with inference profiles', () => {
  const base = {
    pricing: { [HAIKU]: { inputPer1k: 0.001, outputPer1k: 0.005 } },
    routes: [{ name: 'r', intents: ['faq'], default: 'c' }],
  };
  const config = (upstream: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    ...base,
    configs: [{ id: 'c', upstream: { provider: 'bedrock', ...upstream }, maxTokens: 10, ...extra }],
  });

  it('accepts a cross-region profile id whose base model is priced', () => {
    expect(GatewayConfig.safeParse(config({ modelId: `global.${HAIKU}` })).success).toBe(true);
  });

  it('refuses an application inference profile ARN without a price, naming priceKey', () => {
    const parsed = GatewayConfig.safeParse(config({ modelId: APP_ARN }));
    expect(parsed.success).toBe(false);
    expect(formatIssues(parsed.error!)).toBe(
      `configs.0.priceKey: configuration "c" has no price: add pricing["${APP_ARN}"] or a priceKey naming the model it serves`,
    );
  });

  it('accepts it with a priceKey (itself a profile id, resolved to its base model)', () => {
    expect(GatewayConfig.safeParse(config({ modelId: APP_ARN }, { priceKey: HAIKU })).success).toBe(true);
    expect(GatewayConfig.safeParse(config({ modelId: APP_ARN }, { priceKey: `us.${HAIKU}` })).success).toBe(true);
  });

  it('refuses negative cache prices and unknown price fields', () => {
    const bad = { ...config({ modelId: HAIKU }), pricing: { [HAIKU]: { inputPer1k: 0.001, outputPer1k: 0.005, cacheReadPer1k: -1 } } };
    expect(formatIssues(GatewayConfig.safeParse(bad).error!)).toMatch(/^pricing\..+\.cacheReadPer1k: /);
    const typo = { ...config({ modelId: HAIKU }), pricing: { [HAIKU]: { inputPer1k: 0.001, outputPer1k: 0.005, cacheReadsPer1k: 0.1 } } };
    expect(formatIssues(GatewayConfig.safeParse(typo).error!)).toMatch(/cacheReadsPer1k/);
  });
});
