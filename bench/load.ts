import { Client } from 'undici';
import { isStreaming, type Mode } from './settings.ts';

/** One request of a virtual user. */
export interface PlannedRequest {
  headers: Record<string, string>;
  body: Buffer;
}

/** A closed-loop run: `concurrency` virtual users, each on its own HTTP/1.1 connection. */
export interface LoadPlan {
  origin: string;
  path: string;
  concurrency: number;
  warmupMs: number;
  measureMs: number;
  /** Streaming answers: time to first byte is kept, and bodies are checked for `errorMarker`. */
  streaming: boolean;
  /** Bytes that mark an error inside a streamed body (default: an event-stream exception frame's header). */
  errorMarker?: Buffer;
  /** The `n`th request of virtual user `vu`; the same arguments always give the same request. */
  request(vu: number, n: number): PlannedRequest;
  /** Called when the measured window starts (after the warm-up). */
  onMeasureStart?: () => void;
}

/** Raw samples of a run's measured window. */
export interface LoadSamples {
  /** Request sent to last body byte, ms, for every answer completed in the window. */
  latencies: number[];
  /** Request sent to first body byte, ms (streaming only). */
  ttfts: number[];
  /** Failed answers over the whole run (warm-up included), by kind (`http-503`, `stream-exception`, `ECONNRESET`...). */
  errors: Record<string, number>;
  /** Length of the measured window, ms. */
  windowMs: number;
  /** Successful answers over the whole run, warm-up included. */
  completed: number;
}

const EXCEPTION_HEADER = Buffer.from(':exception-type');
const ERROR_PAUSE_MS = 10;

/**
 * Runs a closed loop: each virtual user sends its next request as soon as the previous answer has been read
 * to the end. Answers completed during the warm-up are discarded; those completed in the measured window
 * are kept.
 */
export async function runClosedLoop(plan: LoadPlan): Promise<LoadSamples> {
  const samples: LoadSamples = { latencies: [], ttfts: [], errors: {}, windowMs: plan.measureMs, completed: 0 };
  const start = performance.now();
  const windowStart = start + plan.warmupMs;
  const windowEnd = windowStart + plan.measureMs;
  const fail = (kind: string): void => {
    samples.errors[kind] = (samples.errors[kind] ?? 0) + 1;
  };

  async function virtualUser(vu: number): Promise<void> {
    const client = new Client(plan.origin, { pipelining: 1, keepAliveTimeout: 60_000 });
    const marker = plan.errorMarker ?? EXCEPTION_HEADER;
    try {
      for (let n = 0; performance.now() < windowEnd; n++) {
        const { headers, body } = plan.request(vu, n);
        const sentAt = performance.now();
        let firstByteAt = 0;
        let failure: string | null = null;
        try {
          const response = await client.request({ path: plan.path, method: 'POST', headers, body });
          for await (const chunk of response.body as AsyncIterable<Buffer>) {
            if (firstByteAt === 0) firstByteAt = performance.now();
            if (plan.streaming && chunk.includes(marker)) failure = 'stream-exception';
          }
          if (response.statusCode < 200 || response.statusCode > 299) failure = `http-${response.statusCode}`;
        } catch (error) {
          failure = (error as { code?: string }).code ?? (error as Error).name;
        }
        const doneAt = performance.now();
        if (failure) {
          fail(failure);
          await new Promise((resolve) => setTimeout(resolve, ERROR_PAUSE_MS));
          continue;
        }
        samples.completed++;
        if (doneAt < windowStart || doneAt > windowEnd) continue;
        samples.latencies.push(doneAt - sentAt);
        if (plan.streaming) samples.ttfts.push((firstByteAt || doneAt) - sentAt);
      }
    } finally {
      await client.close();
    }
  }

  const measureTimer = plan.onMeasureStart ? setTimeout(plan.onMeasureStart, plan.warmupMs) : undefined;
  await Promise.all(Array.from({ length: plan.concurrency }, (_, vu) => virtualUser(vu)));
  clearTimeout(measureTimer);
  return samples;
}

const SSE_ERROR = Buffer.from('data: {"error"');

/** How a mode's answers stream, and what marks an error inside one. */
export function streamingOf(mode: Mode): { streaming: boolean; errorMarker?: Buffer } {
  if (!isStreaming(mode)) return { streaming: false };
  return mode === 'chat-stream' ? { streaming: true, errorMarker: SSE_ERROR } : { streaming: true };
}
