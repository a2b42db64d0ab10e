import { createHash } from 'node:crypto';
import type { SimRequest } from './request.ts';
import { nowMs } from './timing.ts';

/** Default time a cached prefix lives after its last use, in simulated ms (Bedrock's and Anthropic's 5 minutes). */
export const DEFAULT_CACHE_TTL_MS = 5 * 60_000;
/** The extended TTL a cache point may ask for (`ttl: "1h"`). */
export const LONG_CACHE_TTL_MS = 60 * 60_000;

/** A cache point of a request: the prefix before it, as a character count and a digest of its content. */
export interface CachePoint {
  /** Characters of text before the point (the prefix's token estimate is a quarter of them, rounded up). */
  chars: number;
  /** Digest of the prefix: roles and texts before the point. */
  key: string;
  /** How long the prefix stays cached after its last use, in simulated ms. */
  ttlMs: number;
}

/** One piece of a prompt in order: text of a role, or a cache point after what came before. */
export type PromptPiece = { role: string; text: string } | { cachePoint: string | undefined };

/** The TTL a cache point asks for: `"1h"` is an hour, anything else (or nothing) the 5-minute default. */
export function ttlOf(ttl: unknown): number {
  return ttl === '1h' ? LONG_CACHE_TTL_MS : DEFAULT_CACHE_TTL_MS;
}

/** The cache points of a prompt given as pieces in order; empty when it has none. */
export function cachePointsOf(pieces: readonly PromptPiece[]): CachePoint[] {
  const points: CachePoint[] = [];
  const hash = createHash('sha256');
  let chars = 0;
  for (const piece of pieces) {
    if ('cachePoint' in piece) {
      points.push({ chars, key: hash.copy().digest('hex'), ttlMs: ttlOf(piece.cachePoint) });
    } else {
      chars += piece.text.length;
      hash.update(`${piece.role}\u0000${piece.text}\u0000`);
    }
  }
  return points;
}

/** How a call's input tokens split between plain input and the prompt cache. */
export interface CacheSplit {
  inputTokens: number;
  cacheReadInputTokens: number;
  cacheWriteInputTokens: number;
}

/**
 * The simulator's prompt cache, per model: a request's prefix up to a cache point is written on first use and
 * read by a repeat within its TTL (each use renews it). TTLs run in simulated time: real time divided by the
 * time scale (real time at time scale 0).
 */
export class PromptCache {
  private readonly expiries = new Map<string, number>();

  constructor(
    private readonly timeScale: number,
    private readonly now: () => number = nowMs,
  ) {}

  /**
   * Splits `totalTokens` (the whole prompt's estimate) for a request with cache points: the longest prefix still
   * cached is read, the rest up to the last point is written, what follows it is plain input.
   */
  use(modelId: string, points: readonly CachePoint[], totalTokens: number): CacheSplit {
    const now = this.now();
    const scale = this.timeScale > 0 ? this.timeScale : 1;
    let read = 0;
    for (const point of points) {
      const expires = this.expiries.get(`${modelId}\u0000${point.key}`);
      if (expires !== undefined && expires > now) read = Math.max(read, tokensOf(point.chars));
    }
    const cached = Math.min(totalTokens, Math.max(0, ...points.map((p) => tokensOf(p.chars))));
    read = Math.min(read, cached);
    for (const point of points) this.expiries.set(`${modelId}\u0000${point.key}`, now + point.ttlMs * scale);
    if (this.expiries.size > 10_000) this.prune(now);
    return { inputTokens: totalTokens - cached, cacheReadInputTokens: read, cacheWriteInputTokens: cached - read };
  }

  /** Forgets every cached prefix. */
  clear(): void {
    this.expiries.clear();
  }

  private prune(now: number): void {
    for (const [key, expires] of this.expiries) if (expires <= now) this.expiries.delete(key);
  }
}

function tokensOf(chars: number): number {
  return Math.ceil(chars / 4);
}

/**
 * A request as the model sees it once the prompt cache has run: with cache points, `inputTokens` keeps only what
 * follows the last point and `cache` says what was read and written; without any, the request is unchanged.
 */
export function withCacheSplit<T extends SimRequest>(cache: PromptCache, modelId: string, request: T): T {
  if (!request.cachePoints?.length) return request;
  const split = cache.use(modelId, request.cachePoints, request.inputTokens);
  return {
    ...request,
    inputTokens: split.inputTokens,
    cache: { cacheReadInputTokens: split.cacheReadInputTokens, cacheWriteInputTokens: split.cacheWriteInputTokens },
  };
}
