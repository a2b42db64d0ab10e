import type { Price } from '../../schema/config.ts';
import type { Observation, Operation, TrafficClass } from '../../schema/observation.ts';
import type { Resolution } from '../routing/resolve.ts';
import { costOf } from './cost.ts';

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
}

/**
 * Follows one request from routing to its last byte and records exactly one observation.
 * Gateway overhead is the time spent outside the upstream call before the first byte goes out.
 */
export class RequestMeter {
  inputTokens = 0;
  outputTokens = 0;
  private stop: string | null = null;
  private ttft: number | null = null;
  private upstreamStart = 0;
  private upstreamWait = 0;
  private overhead: number | null = null;
  private done = false;
  /** Called once, after the observation is recorded. */
  onFinish: (() => void) | undefined;

  constructor(
    private readonly start: MeterStart,
    private readonly record: (observation: Observation) => void,
    private readonly now: () => number,
  ) {}

  upstreamStarted(): void {
    this.upstreamStart = this.now();
  }

  /** The upstream answered (headers for streams, the whole body otherwise). */
  upstreamAnswered(): void {
    this.upstreamWait = this.now() - this.upstreamStart;
  }

  firstToken(): void {
    if (this.ttft === null) this.ttft = this.now() - this.start.t0;
  }

  usage(inputTokens: number | undefined, outputTokens: number | undefined): void {
    if (inputTokens !== undefined) this.inputTokens = inputTokens;
    if (outputTokens !== undefined) this.outputTokens = outputTokens;
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
      upstreamModel: s.upstreamModel,
      operation: s.operation,
      streamed: s.operation.endsWith('stream'),
      status,
      errorCode,
      inputTokens: this.inputTokens,
      outputTokens: this.outputTokens,
      costUsd: s.price ? costOf(s.price, this.inputTokens, this.outputTokens) : null,
      ttftMs: this.ttft ?? (s.operation.endsWith('stream') || errorCode ? null : latencyMs),
      latencyMs,
      overheadMs: this.responseReady(),
      configVersion: s.configVersion ?? null,
      expectedShare: s.resolution.expectedShare ?? null,
      stopReason: this.stop,
    };
    this.record(observation);
    this.onFinish?.();
  }
}
