import { describe, expect, it } from 'vitest';
import { backoffMs, decideRetry, DEFAULT_FALLBACK_POLICY, retryReason, type FallbackPolicy } from './policy.ts';

const POLICY: FallbackPolicy = { maxAttempts: 3, budgetMs: 1_000, baseDelayMs: 100, maxDelayMs: 300 };

describe('retryReason', () => {
  it.each([
    [429, 'throttled'],
    [500, 'server_error'],
    [502, 'server_error'],
    [503, 'server_error'],
    [599, 'server_error'],
    [408, 'timeout'],
    [504, 'timeout'],
  ])('status %i is retried as %s', (status, reason) => {
    expect(retryReason({ status })).toBe(reason);
  });

  it.each([200, 206, 302, 400, 401, 403, 404, 413, 424])('status %i is not retried', (status) => {
    expect(retryReason({ status })).toBeNull();
  });

  it('retries a header timeout and an unreachable endpoint, never a client that went away', () => {
    expect(retryReason({ transport: 'upstream_timeout' })).toBe('timeout');
    expect(retryReason({ transport: 'upstream_unavailable' })).toBe('unreachable');
    expect(retryReason({ transport: 'client_abort' })).toBeNull();
    expect(retryReason({ transport: 'shutdown_abort' })).toBeNull();
  });
});

describe('backoffMs', () => {
  it('doubles from the base, is capped, and its jitter stays within [cap / 2, cap]', () => {
    expect(backoffMs(1, POLICY, () => 0)).toBe(50);
    expect(backoffMs(1, POLICY, () => 1)).toBe(100);
    expect(backoffMs(2, POLICY, () => 0)).toBe(100);
    expect(backoffMs(2, POLICY, () => 1)).toBe(200);
    expect(backoffMs(3, POLICY, () => 1)).toBe(300);
    expect(backoffMs(9, POLICY, () => 0.5)).toBe(225);
  });

  it('clamps a random source outside [0, 1]', () => {
    expect(backoffMs(1, POLICY, () => -3)).toBe(50);
    expect(backoffMs(1, POLICY, () => 7)).toBe(100);
  });

  it('draws a different wait for each draw of the random source', () => {
    const draws = [0.1, 0.9];
    const waits = draws.map((u) => backoffMs(1, POLICY, () => u));
    expect(waits[0]).not.toBe(waits[1]);
    for (const w of waits) expect(w).toBeGreaterThanOrEqual(50);
  });

  it('is zero with a zero base', () => {
    expect(backoffMs(3, { ...POLICY, baseDelayMs: 0 }, () => 1)).toBe(0);
  });
});

describe('decideRetry', () => {
  const state = { attempts: 1, elapsedMs: 0, hasNext: true };
  it('retries a retryable failure with a fallback left, after the backoff', () => {
    expect(decideRetry('throttled', state, POLICY, () => 0)).toEqual({ retry: true, delayMs: 50 });
  });

  it('does not retry a failure that is not retryable', () => {
    expect(decideRetry(null, state, POLICY, () => 0)).toEqual({ retry: false, why: 'not_retryable' });
  });

  it('does not retry without a fallback left', () => {
    expect(decideRetry('server_error', { ...state, hasNext: false }, POLICY, () => 0)).toEqual({ retry: false, why: 'no_fallback' });
  });

  it('stops at the attempts limit', () => {
    expect(decideRetry('throttled', { ...state, attempts: 2 }, POLICY, () => 0).retry).toBe(true);
    expect(decideRetry('throttled', { ...state, attempts: 3 }, POLICY, () => 0)).toEqual({ retry: false, why: 'attempts' });
    expect(decideRetry('throttled', state, { ...POLICY, maxAttempts: 1 }, () => 0)).toEqual({ retry: false, why: 'attempts' });
  });

  it('makes no attempt that would start at or past the budget, backoff included', () => {
    expect(decideRetry('timeout', { ...state, elapsedMs: 949 }, POLICY, () => 0)).toEqual({ retry: true, delayMs: 50 });
    expect(decideRetry('timeout', { ...state, elapsedMs: 950 }, POLICY, () => 0)).toEqual({ retry: false, why: 'budget' });
    expect(decideRetry('timeout', { ...state, elapsedMs: 900 }, POLICY, () => 1)).toEqual({ retry: false, why: 'budget' });
  });

  it('has defaults that allow two fallbacks with short waits', () => {
    expect(DEFAULT_FALLBACK_POLICY.maxAttempts).toBe(3);
    expect(backoffMs(2, DEFAULT_FALLBACK_POLICY, () => 1)).toBeLessThan(DEFAULT_FALLBACK_POLICY.budgetMs);
  });
});
