import type { ChatUsage } from '../../canonical.ts';

/** Converse `usage`: `inputTokens` excludes the cache reads and writes, `totalTokens` counts them all. */
export interface ConverseUsage {
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
}

/** Converse usage in canonical form; the cache counts are kept when the upstream reported them. */
export function chatUsageOf(usage: ConverseUsage | undefined): ChatUsage {
  const out: ChatUsage = { inputTokens: usage?.inputTokens ?? 0, outputTokens: usage?.outputTokens ?? 0 };
  if (typeof usage?.cacheReadInputTokens === 'number') out.cacheReadInputTokens = usage.cacheReadInputTokens;
  if (typeof usage?.cacheWriteInputTokens === 'number') out.cacheWriteInputTokens = usage.cacheWriteInputTokens;
  return out;
}

/** Canonical usage as Converse says it; the cache counts appear when the upstream reported any. */
export function converseUsageOf(usage: ChatUsage): ConverseUsage {
  const read = usage.cacheReadInputTokens;
  const write = usage.cacheWriteInputTokens;
  const out: ConverseUsage = {
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    totalTokens: usage.inputTokens + usage.outputTokens + (read ?? 0) + (write ?? 0),
  };
  if (read !== undefined || write !== undefined) {
    out.cacheReadInputTokens = read ?? 0;
    out.cacheWriteInputTokens = write ?? 0;
  }
  return out;
}
