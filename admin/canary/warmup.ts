import type { Canary } from '../../schema/config.ts';
import { nearestRank } from './window-source.ts';
import type { WarmupPlan } from './schema.ts';

/** What a warm-up did. */
export interface WarmupReport {
  sent: number;
  failed: number;
  p95LatencyMs: number | null;
}

/**
 * Sends a canary's warm-up traffic to its candidate. Once `signal` aborts (the controller stops), it sends
 * nothing more and cuts the requests in flight; the caller then ignores its report.
 */
export type WarmupRunner = (canary: Canary, plan: WarmupPlan, signal?: AbortSignal) => Promise<WarmupReport>;

/** Options of the HTTP warm-up runner. */
export interface HttpWarmupOptions {
  /** Gateway base URL, e.g. `http://127.0.0.1:8080`. */
  baseUrl: string;
  /** A data-plane key, when the gateway requires one. */
  apiKey?: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

const PROMPTS = [
  'Recommend three manga like Berserk for a new reader.',
  'Is volume 12 of One Piece in stock in the deluxe edition?',
  'What is your return policy for damaged box sets?',
  'Where is my order of Vagabond volumes 1-5?',
];

/**
 * Warm-up through the gateway: `plan.requests` Converse calls pinned to the candidate (`config:<id>`),
 * marked `x-gateway-traffic: warmup` so they never enter live statistics, `plan.concurrency` at a time;
 * an abort of `signal` stops it early.
 */
export function httpWarmup(options: HttpWarmupOptions): WarmupRunner {
  const send = options.fetch ?? fetch;
  return async (canary, plan, signal) => {
    const timeoutMs = options.timeoutMs ?? 60_000;
    const url = `${options.baseUrl}/model/${encodeURIComponent(`config:${canary.candidate}`)}/converse`;
    const latencies: number[] = [];
    let failed = 0;
    let next = 0;
    const one = async (i: number): Promise<void> => {
      const started = performance.now();
      try {
        const res = await send(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-gateway-traffic': 'warmup',
            'x-intent': plan.intent ?? canary.intent ?? 'other',
            'x-session-id': `warmup-${canary.id}-${i}`,
            ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
          },
          body: JSON.stringify({ messages: [{ role: 'user', content: [{ text: PROMPTS[i % PROMPTS.length] }] }] }),
          signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs),
        });
        await res.arrayBuffer();
        if (res.ok) latencies.push(performance.now() - started);
        else failed++;
      } catch {
        failed++;
      }
    };
    const worker = async (): Promise<void> => {
      while (next < plan.requests && !signal?.aborted) await one(next++);
    };
    await Promise.all(Array.from({ length: Math.min(plan.concurrency, plan.requests) }, worker));
    return { sent: Math.min(next, plan.requests), failed, p95LatencyMs: nearestRank(latencies, 0.95) };
  };
}
