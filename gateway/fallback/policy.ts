import type { ErrorCode } from '../errors.ts';

/** How far the gateway goes to answer from a fallback configuration (`FALLBACK_*` settings). */
export interface FallbackPolicy {
  /** Upstream attempts per request, the first included; 1 turns fallbacks off. */
  maxAttempts: number;
  /** No attempt starts later than this many ms after the first one started (backoff included). */
  budgetMs: number;
  /** Backoff before the second attempt; it doubles for each further one. */
  baseDelayMs: number;
  /** Largest backoff between two attempts. */
  maxDelayMs: number;
}

/** The defaults of the `FALLBACK_*` settings. */
export const DEFAULT_FALLBACK_POLICY: FallbackPolicy = { maxAttempts: 3, budgetMs: 20_000, baseDelayMs: 50, maxDelayMs: 1_000 };

/** Why an attempt was given up for the next configuration; a bounded label of the fallback metric. */
export type FallbackReason = 'throttled' | 'server_error' | 'timeout' | 'unreachable';

/** How an upstream attempt ended before any byte of its answer was read: an HTTP status, or a transport failure. */
export type AttemptOutcome = { status: number } | { transport: ErrorCode };

/**
 * Whether an attempt's outcome may be retried on another configuration, and why: throttling (429), a model
 * timeout (408, 504, or no answer headers within the upstream timeout), another 5xx, or an endpoint that could not
 * be reached. A success, any other 4xx (the request itself is wrong: another model would refuse it too) and a
 * client that went away are not retried.
 */
export function retryReason(outcome: AttemptOutcome): FallbackReason | null {
  if ('transport' in outcome) {
    if (outcome.transport === 'upstream_timeout') return 'timeout';
    if (outcome.transport === 'upstream_unavailable') return 'unreachable';
    return null;
  }
  const { status } = outcome;
  if (status === 429) return 'throttled';
  if (status === 408 || status === 504) return 'timeout';
  if (status >= 500 && status <= 599) return 'server_error';
  return null;
}

/**
 * The wait before retry number `retry` (1 for the second attempt): exponential from `baseDelayMs`, capped at
 * `maxDelayMs`, with equal jitter (half fixed, half drawn), so it lies in [cap / 2, cap] and concurrent requests
 * throttled together do not come back together.
 */
export function backoffMs(retry: number, policy: FallbackPolicy, random: () => number): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return cap / 2 + (cap / 2) * Math.min(1, Math.max(0, random()));
}

/** Whether to make another attempt, and after which wait; or why not. */
export type RetryDecision =
  | { retry: true; delayMs: number }
  | { retry: false; why: 'not_retryable' | 'no_fallback' | 'attempts' | 'budget' };

/**
 * Decides after a failed attempt: retry when the failure is retryable, a fallback is left, the attempts allow
 * another one, and it would start within the budget (`elapsedMs`: since the first attempt started).
 */
export function decideRetry(
  reason: FallbackReason | null,
  state: { attempts: number; elapsedMs: number; hasNext: boolean },
  policy: FallbackPolicy,
  random: () => number,
): RetryDecision {
  if (reason === null) return { retry: false, why: 'not_retryable' };
  if (!state.hasNext) return { retry: false, why: 'no_fallback' };
  if (state.attempts >= policy.maxAttempts) return { retry: false, why: 'attempts' };
  const delayMs = backoffMs(state.attempts, policy, random);
  if (state.elapsedMs + delayMs >= policy.budgetMs) return { retry: false, why: 'budget' };
  return { retry: true, delayMs };
}
