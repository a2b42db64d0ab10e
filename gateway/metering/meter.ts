import type { Price } from '../../schema/config.ts';
import type { FailedAttempt, Observation, Operation, TrafficClass } from '../../schema/observation.ts';
import { costOf } from '../../schema/pricing.ts';
import type { Resolution } from '../routing/resolve.ts';

/** Prompt-cache input tokens an upstream reported (each absent when it said nothing about it). */
export interface CacheUsage {
  read?: number | undefined;
  write?: number | undefined;
}

export interface MeterStart {
  requestId: string;
  /** Epoch ms when the request arrived. */
  time: number;
  /** Monotonic ms (performance.now) when the request arrived. */
  t0: number;
  operation: Operation;
  traffic: TrafficClass;
  sessionId: string | null;
  resolution: Resolution;
  /** Version of the configuration the request was routed under (null: a configuration file). */
  configVersion?: number | null;
  upstreamModel: string;
  price: Price | undefined;
  /** For a shadow request: the live request it copies. */
  shadowOf?: string | null;
}

/** A fallback configuration that serves a request: its id, model and price stand for the answer's. */
export interface ServedBy {
  configId: string;
  upstreamModel: string;
  price: Price | undefined;
}

/**
 * Follows one request from routing to its last byte and records exactly one observation.
 * Gateway overhead is the time spent outside the upstream call before the first byte goes out.
 */
export class RequestMeter {
  inputTokens = 0;
  outputTokens = 0;
  /** Null until the upstream reports prompt-cache tokens. */
  cacheReadInputTokens: number | null = null;
  cacheWriteInputTokens: number | null = null;
  private stop: string | null = null;
  private ttft: number | null = null;
  private upstreamStart = 0;
  private upstreamWait = 0;
  private overhead: number | null = null;
  private done = false;
  private attemptCount = 0;
  private served: ServedBy | null = null;
  private readonly failed: FailedAttempt[] = [];
  /** Called once, after the observation is recorded. */
  onFinish: (() => void) | undefined;

  constructor(
    private readonly start: MeterStart,
    private readonly record: (observation: Observation) => void,
    private readonly now: () => number,
  ) {}

  /**
   * An upstream attempt starts; `served` names the configuration it goes to when that is a fallback (its model
   * and price then stand for the answer). The upstream wait runs from the first attempt to the last one's answer,
   * so failed attempts and the backoff between them do not count as gateway overhead.
   */
  upstreamStarted(served?: ServedBy): void {
    if (this.attemptCount === 0) this.upstreamStart = this.now();
    this.attemptCount += 1;
    if (served) this.served = served;
  }

  /** An attempt was given up for a fallback: it goes on the observation's `failedAttempts`. */
  attemptFailed(attempt: FailedAttempt): void {
    this.failed.push(attempt);
  }

  /** Upstream attempts made so far. */
  get attempts(): number {
    return this.attemptCount;
  }

  /** The configuration serving the answer when it is a fallback, else null. */
  get servedConfigId(): string | null {
    return this.served?.configId ?? null;
  }

  /** The upstream answered (headers for streams, the whole body otherwise). */
  upstreamAnswered(): void {
    this.upstreamWait = this.now() - this.upstreamStart;
  }

  firstToken(): void {
    if (this.ttft === null) this.ttft = this.now() - this.start.t0;
  }

  /** Usage as reported so far; a count left undefined keeps its earlier value (streams report in parts). */
  usage(inputTokens: number | undefined, outputTokens: number | undefined, cache?: CacheUsage): void {
    if (inputTokens !== undefined) this.inputTokens = inputTokens;
    if (outputTokens !== undefined) this.outputTokens = outputTokens;
    if (cache?.read !== undefined) this.cacheReadInputTokens = cache.read;
    if (cache?.write !== undefined) this.cacheWriteInputTokens = cache.write;
  }

  /** Why the model stopped (Converse's vocabulary); the last one reported wins. */
  stopReason(reason: string): void {
    this.stop = reason;
  }

  /**
   * Overhead in ms, fixed the first time it is asked for: when the response is handed to the server, or
   * when the observation of a non-streamed call is recorded just before.
   */
  responseReady(): number {
    this.overhead ??= Math.max(0, this.now() - this.start.t0 - this.upstreamWait);
    return this.overhead;
  }

  /** The id of the request this meter follows. */
  get requestId(): string {
    return this.start.requestId;
  }

  get finished(): boolean {
    return this.done;
  }

  /** Records the observation once; later calls are ignored. */
  finish(status: number, errorCode: string | null): void {
    if (this.done) return;
    this.done = true;
    const s = this.start;
    const latencyMs = this.now() - s.t0;
    const price = this.served ? this.served.price : s.price;
    const observation: Observation = {
      requestId: s.requestId,
      time: s.time,
      route: s.resolution.route,
      intent: s.resolution.intent,
      sessionId: s.sessionId,
      traffic: s.traffic,
      experimentId: s.resolution.experimentId,
      canaryId: s.resolution.canaryId,
      arm: s.resolution.arm,
      configId: s.resolution.config?.id ?? null,
      upstreamModel: this.served?.upstreamModel ?? s.upstreamModel,
      operation: s.operation,
      streamed: s.operation.endsWith('stream'),
      status,
      errorCode,
      inputTokens: this.inputTokens,
      outputTokens: this.outputTokens,
      costUsd: price ? costOf(price, this) : null,
      ttftMs: this.ttft ?? (s.operation.endsWith('stream') || errorCode ? null : latencyMs),
      latencyMs,
      overheadMs: this.responseReady(),
      configVersion: s.configVersion ?? null,
      expectedShare: s.resolution.expectedShare ?? null,
      cacheReadInputTokens: this.cacheReadInputTokens,
      cacheWriteInputTokens: this.cacheWriteInputTokens,
      ...(s.shadowOf ? { shadowOf: s.shadowOf } : {}),
      attempts: this.attemptCount > 0 ? this.attemptCount : null,
      servedConfigId: this.served && this.served.configId !== s.resolution.config?.id ? this.served.configId : null,
      failedAttempts: this.failed.length ? this.failed : null,
      stopReason: this.stop,
    };
    this.record(observation);
    this.onFinish?.();
  }
}
