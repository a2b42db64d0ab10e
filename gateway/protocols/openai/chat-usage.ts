import type { ChatUsage } from '../../canonical.ts';

/** Chat Completions `usage`: `prompt_tokens` includes the cached ones (`prompt_tokens_details.cached_tokens`). */
export interface OpenAIUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number | null } | null;
}

/**
 * Chat Completions usage in canonical form: the cached tokens (a cache read) move out of the input tokens. An
 * answer without `prompt_tokens_details` says nothing about the cache.
 */
export function chatUsageOf(usage: OpenAIUsage | null | undefined): ChatUsage {
  const prompt = usage?.prompt_tokens ?? 0;
  const cached = usage?.prompt_tokens_details?.cached_tokens;
  const out: ChatUsage = { inputTokens: prompt, outputTokens: usage?.completion_tokens ?? 0 };
  if (typeof cached === 'number' && cached >= 0) {
    out.inputTokens = Math.max(0, prompt - cached);
    out.cacheReadInputTokens = cached;
  }
  return out;
}

/**
 * Canonical usage as Chat Completions says it: cache reads and writes are part of `prompt_tokens`, reads are
 * `prompt_tokens_details.cached_tokens` (present when the upstream reported cache counts); OpenAI has no field for writes.
 */
export function openAIUsageOf(usage: ChatUsage): OpenAIUsage {
  const read = usage.cacheReadInputTokens;
  const write = usage.cacheWriteInputTokens;
  const prompt = usage.inputTokens + (read ?? 0) + (write ?? 0);
  const out: OpenAIUsage = { prompt_tokens: prompt, completion_tokens: usage.outputTokens, total_tokens: prompt + usage.outputTokens };
  if (read !== undefined || write !== undefined) out.prompt_tokens_details = { cached_tokens: read ?? 0 };
  return out;
}
