import type { HttpRequest, HttpResponse, HttpTransport } from '../upstreams/http/interface.ts';
import type { CancelSignal } from '../../lib/cancellation.ts';

/** One step of a scripted body: bytes (or text) to hand over, a stall that only a cancel or abort ends, or a reset. */
export type Step = Uint8Array | string | { stall: true } | { reset: string };

/** The upstream never sends another byte (until the gateway cancels or aborts the call). */
export const STALL: Step = { stall: true };

/** The connection breaks with this message. */
export function reset(message = 'other side closed'): Step {
  return { reset: message };
}

/** What one upstream call answers. */
export interface Script {
  status?: number;
  headers?: Record<string, string>;
  body: Step[];
}

/** A request the gateway sent upstream. */
export interface SentRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A fake model endpoint behind the `HttpTransport` interface: each call plays back the next script chunk by
 * chunk (stalls, resets and all), and the requests and cancellations it saw are kept for assertions.
 */
export class ScriptedUpstream {
  readonly requests: SentRequest[] = [];
  /** Bodies the gateway cancelled or aborted before their end. */
  cancelled = 0;
  private readonly scripts: Script[] = [];

  /** Queues the answer of the next upstream call. */
  next(script: Script): void {
    this.scripts.push(script);
  }

  /** Scripts queued but not played yet (a test that queued too many left some). */
  get pending(): number {
    return this.scripts.length;
  }

  readonly transport: HttpTransport = async (request: HttpRequest): Promise<HttpResponse> => {
    this.requests.push({ path: request.path, headers: request.headers, body: decoder.decode(request.body) });
    const script = this.scripts.shift();
    if (!script) throw new Error(`no scripted answer for ${request.path}`);
    return this.play(script, request.signal);
  };

  private play(script: Script, signal: CancelSignal): HttpResponse {
    const steps = [...script.body];
    const headers = Object.fromEntries(Object.entries(script.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    let stopped: Error | null = null;
    let wake: ((err: Error) => void) | null = null;
    const stop = (err: Error): void => {
      if (stopped) return;
      stopped = err;
      this.cancelled += 1;
      wake?.(err);
    };
    signal.addEventListener('abort', () => stop(new Error('request aborted')), { once: true });
    const read = async (): Promise<Uint8Array | null> => {
      if (stopped) throw stopped;
      const step = steps.shift();
      if (step === undefined) return null;
      if (typeof step === 'string') return encoder.encode(step);
      if (step instanceof Uint8Array) return step;
      if ('reset' in step) throw new Error(step.reset);
      return new Promise<never>((_, reject) => {
        wake = reject;
      });
    };
    return {
      status: script.status ?? 200,
      header: (name) => headers[name] ?? null,
      async bytes() {
        const parts: Uint8Array[] = [];
        for (let chunk = await read(); chunk; chunk = await read()) parts.push(chunk);
        return new Uint8Array(Buffer.concat(parts));
      },
      read,
      cancel: () => stop(new Error('body cancelled')),
    };
  }
}
