import type { Price } from './config.ts';

/**
 * Geography prefixes of Bedrock's cross-region (system-defined) inference profile ids, as in
 * `us.anthropic.claude-3-5-haiku-20241022-v1:0`: the profile serves the model after the prefix.
 */
export const INFERENCE_PROFILE_PREFIXES = ['us', 'us-gov', 'eu', 'apac', 'jp', 'au', 'global'] as const;

const PROFILE_PREFIX = new RegExp(`^(?:${INFERENCE_PROFILE_PREFIXES.join('|')})\\.(.+)$`);
/** `arn:aws:bedrock:<region>:<account>:<resource type>/<id>` (any AWS partition). */
const BEDROCK_ARN = /^arn:aws[a-z-]*:bedrock:[a-z0-9-]*:\d*:([a-z-]+)\/(.+)$/;

/** Token counts of one call, split the way providers bill them. */
export interface TokenCounts {
  inputTokens: number;
  outputTokens: number;
  /** Input tokens read from the prompt cache (not part of `inputTokens`). */
  cacheReadInputTokens?: number | null | undefined;
  /** Input tokens written to the prompt cache (not part of `inputTokens`). */
  cacheWriteInputTokens?: number | null | undefined;
}

/**
 * Cost in USD of one call from per-1K-token prices. Cache reads and writes use `cacheReadPer1k` /
 * `cacheWritePer1k`; a price without them bills cache tokens at the input price.
 */
export function costOf(price: Price, tokens: TokenCounts): number {
  const read = tokens.cacheReadInputTokens ?? 0;
  const write = tokens.cacheWriteInputTokens ?? 0;
  return (
    (tokens.inputTokens * price.inputPer1k +
      tokens.outputTokens * price.outputPer1k +
      read * (price.cacheReadPer1k ?? price.inputPer1k) +
      write * (price.cacheWritePer1k ?? price.inputPer1k)) /
    1000
  );
}

/**
 * The pricing-table key a model id is priced under, or undefined when it has none. In order: the id itself; the
 * model inside a Bedrock ARN of a foundation model or a cross-region inference profile; a cross-region inference
 * profile id (`us.`, `eu.`, `apac.`, `global.`, ...) priced as its base model. An application inference profile
 * ARN names no model: it is priced only under its own key (or through a configuration's `priceKey`).
 */
export function pricingKeyOf(pricing: Readonly<Record<string, Price>>, modelId: string): string | undefined {
  if (Object.hasOwn(pricing, modelId)) return modelId;
  const arn = BEDROCK_ARN.exec(modelId);
  if (arn) {
    const [, kind, id] = arn;
    return kind === 'foundation-model' || kind === 'inference-profile' ? pricingKeyOf(pricing, id!) : undefined;
  }
  const profile = PROFILE_PREFIX.exec(modelId);
  if (profile && Object.hasOwn(pricing, profile[1]!)) return profile[1];
  return undefined;
}

/** The price of a model id (see `pricingKeyOf`), or undefined when it has none. */
export function priceOf(pricing: Readonly<Record<string, Price>>, modelId: string): Price | undefined {
  const key = pricingKeyOf(pricing, modelId);
  return key === undefined ? undefined : pricing[key];
}
