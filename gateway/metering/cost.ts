import type { Price } from '../../schema/config.ts';

/** Cost in USD of one call, from per-1K-token prices. */
export function costOf(price: Price, inputTokens: number, outputTokens: number): number {
  return (inputTokens * price.inputPer1k + outputTokens * price.outputPer1k) / 1000;
}
