import type { Logger } from '../../lib/log/interface.ts';
import type { ModelConfig, Upstream } from '../../schema/config.ts';
import type { Observation } from '../../schema/observation.ts';
import type { ShadowAnswerSink } from '../../stores/shadow-answers/interface.ts';
import type { Lifecycle } from '../lifecycle.ts';
import { AnswerCapture, answerTextOf, promptOf } from './texts.ts';

/** How a shadow request ended, for `gateway_shadow_requests_total`. `failed` counts requests that were `sent`. */
export type ShadowOutcome = 'sent' | 'failed' | 'dropped_budget' | 'dropped_body' | 'dropped_shutdown';

/** Default of `SHADOW_MAX_CONCURRENCY`. */
export const DEFAULT_SHADOW_MAX_CONCURRENCY = 4;
/** Default of `SHADOW_MAX_BODY_BYTES`: larger request bodies are not shadowed (and not kept). */
export const DEFAULT_SHADOW_MAX_BODY_BYTES = 65_536;
/** Largest answer captured for scoring, live or shadow. */
export const MAX_CAPTURED_ANSWER_BYTES = 262_144;

/** Settings of shadow traffic (the Node entry point reads them from the environment). */
export interface ShadowOptions {
  maxConcurrency: number;
  maxBodyBytes: number;
  /** Where the texts of shadowed pairs go, for scoring; without one, only observations are kept. */
  answers?: ShadowAnswerSink;
}

/** A live request selected for shadowing, handed over when its observation is recorded. */
export interface ShadowJob {
  live: Observation;
  config: ModelConfig;
  url: string;
  headers: Headers;
  body: string;
  /** Upstream bytes of the live answer (null past the cap), and the provider that spoke them. */
  liveAnswer: AnswerCapture;
  liveProvider: Upstream['provider'];
}

/** What routing needs to know of a request the dispatcher sent: the candidate, the live request, where its answer goes. */
export interface ShadowMark {
  config: ModelConfig;
  liveRequestId: string;
  capture: AnswerCapture;
  observed(observation: Observation): void;
}

interface DispatcherDeps extends ShadowOptions {
  /** The gateway app's own `fetch`: the shadow request takes the same path as the live one. */
  fetch(request: Request): Promise<Response>;
  lifecycle: Lifecycle;
  count(outcome: ShadowOutcome): void;
  logger?: Logger;
}

/** Headers of the live request a shadow request keeps; `x-gateway-traffic` is never copied. */
const KEPT_HEADERS = ['authorization', 'content-type', 'x-intent', 'x-session-id'];

/**
 * Sends shadow requests after their live request ended, at most `maxConcurrency` at a time: one over budget is
 * dropped and counted, never queued. Each runs through the app like a client request (so it is metered, recorded
 * and cut on shutdown the same way), under the lifecycle from the moment it is accepted, so a shutdown waits for
 * it within the grace period and then cuts it. Nothing it does reaches the live request's client.
 */
export class ShadowDispatcher {
  private running = 0;
  private readonly marks = new WeakMap<Request, ShadowMark>();

  constructor(private readonly deps: DispatcherDeps) {}

  /** Shadow requests running now. */
  get active(): number {
    return this.running;
  }

  get maxBodyBytes(): number {
    return this.deps.maxBodyBytes;
  }

  /** The mark of a request this dispatcher sent; undefined for a client's request. */
  markOf(request: Request): ShadowMark | undefined {
    return this.marks.get(request);
  }

  /** Counts an outcome decided before a job exists (a body too large). */
  count(outcome: ShadowOutcome): void {
    this.deps.count(outcome);
  }

  /**
   * The live request's copy of the client headers, taken while the request is routed. A SigV4-signed request also
   * keeps `x-amz-date` and every header it signed, so the signature (over the same path and body) verifies again.
   */
  static keptHeaders(headers: Headers): Headers {
    const kept = new Headers();
    const signed = /^AWS4-HMAC-SHA256 .*SignedHeaders=([^,\s]+)/.exec(headers.get('authorization') ?? '')?.[1]?.split(';') ?? [];
    const names = signed.length ? [...KEPT_HEADERS, 'x-amz-date', ...signed] : KEPT_HEADERS;
    for (const name of names) {
      const value = name.startsWith(':') ? null : headers.get(name);
      if (value !== null) kept.set(name, value);
    }
    return kept;
  }

  /** Takes a job when the live observation is recorded; never throws, never waits. */
  offer(job: ShadowJob): void {
    const refused = this.deps.lifecycle.draining ? 'dropped_shutdown' : this.running >= this.deps.maxConcurrency ? 'dropped_budget' : null;
    if (refused) {
      this.deps.count(refused);
      return;
    }
    this.running++;
    this.deps.count('sent');
    const controller = new AbortController();
    const release = this.deps.lifecycle.track(controller);
    this.run(job, controller.signal)
      .catch((err: unknown) => {
        this.deps.count('failed');
        this.deps.logger?.warn('shadow request failed', { liveRequestId: job.live.requestId, error: (err as Error).message });
      })
      .finally(() => {
        this.running--;
        release();
      });
  }

  private async run(job: ShadowJob, signal: AbortSignal): Promise<void> {
    // Off the live request's turn: decoding and sending start once its answer has been handed on.
    await new Promise((resolve) => setTimeout(resolve, 0));
    const headers = new Headers(job.headers);
    headers.set('content-length', String(new TextEncoder().encode(job.body).length));
    const request = new Request(job.url, { method: 'POST', headers, body: job.body, signal });
    let observed: Observation | undefined;
    const capture = new AnswerCapture(MAX_CAPTURED_ANSWER_BYTES);
    this.marks.set(request, { config: job.config, liveRequestId: job.live.requestId, capture, observed: (o) => (observed = o) });
    const response = await this.deps.fetch(request);
    await response.arrayBuffer();
    if (!observed) {
      // Refused before routing: the gateway began draining (503) or the key was revoked meanwhile.
      this.deps.count(this.deps.lifecycle.draining ? 'dropped_shutdown' : 'failed');
      return;
    }
    if (observed.errorCode !== null) this.deps.count('failed');
    const provider = job.config.upstream.provider;
    this.deps.answers?.record({
      shadowRequestId: observed.requestId,
      liveRequestId: job.live.requestId,
      time: Date.now(),
      prompt: promptOf(job.body),
      // An answer a fallback served came from another model (and in its provider's bytes): nothing to compare.
      liveAnswer:
        job.live.errorCode === null && !job.live.servedConfigId
          ? answerTextOf(job.liveAnswer.bytes(), job.liveProvider, job.live.operation)
          : null,
      shadowAnswer: observed.errorCode === null ? answerTextOf(capture.bytes(), provider, observed.operation) : null,
    });
  }
}
