import { collectDefaultMetrics, Counter, Registry } from 'prom-client';
import type { FeedbackRecord } from '../../schema/feedback.ts';
import type { Observation } from '../../schema/observation.ts';
import type { ShadowOutcome } from '../shadow/dispatcher.ts';
import { KNOWN_STOP_REASONS } from '../stop-reasons.ts';
import type { Telemetry } from './interface.ts';
import { BatchedCounter, BatchedHistogram } from './series.ts';

/** Error codes that may appear as a label; anything else an upstream invents is counted as `other`. */
const KNOWN_ERRORS = new Set([
  'ThrottlingException',
  'ValidationException',
  'ModelTimeoutException',
  'InternalServerException',
  'ServiceUnavailableException',
  'AccessDeniedException',
  'ResourceNotFoundException',
  'ModelErrorException',
  'ModelNotReadyException',
  'ModelStreamErrorException',
  'ServiceQuotaExceededException',
  'InvalidSignatureException',
  'UnrecognizedClientException',
  'client_abort',
  'shutdown_abort',
  'upstream_timeout',
  'upstream_unavailable',
  'upstream_idle_timeout',
  'upstream_malformed',
  'upstream_reset',
  'internal',
]);

const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4, 5, 7.5, 10, 20, 30, 60];
const OVERHEAD_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1];

/** Sink-level counters that the Node entry point feeds from a durable sink (the primary's, or the copy's under `copy`). */
export interface SinkCounters {
  spilled(count: number): void;
  replayed(count: number): void;
  dropped(count: number): void;
}

/**
 * Prometheus metrics over prom-client (Node only). Label values are bounded: routes, intents,
 * configurations and arms come from the configuration, never a session or request id.
 */
export function prometheusTelemetry(
  options: { defaultMetrics?: boolean } = {},
): Telemetry & SinkCounters & { copy: SinkCounters; registry: Registry } {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const base = ['route', 'intent', 'config', 'arm', 'traffic'] as const;
  const requests = new BatchedCounter({
    name: 'gateway_requests_total',
    help: 'Routed requests, by outcome',
    labelNames: [...base, 'operation', 'status'],
    registers: [registry],
  });
  // `gen_ai_token_type` is OpenTelemetry's `gen_ai.token.type` in Prometheus form; input excludes the cache tokens.
  const tokens = new BatchedCounter({
    name: 'gateway_tokens_total',
    help: 'Tokens reported by the model, by type: input (not from or to the prompt cache), output, cache_read, cache_write',
    labelNames: [...base, 'gen_ai_token_type'],
    registers: [registry],
  });
  const cost = new BatchedCounter({
    name: 'gateway_cost_usd_total',
    help: 'Cost in USD from the pricing table',
    labelNames: base,
    registers: [registry],
  });
  const latency = new BatchedHistogram({
    name: 'gateway_request_duration_seconds',
    help: 'Total request latency at the gateway',
    labelNames: ['route', 'intent', 'config', 'arm', 'traffic', 'streamed'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const ttft = new BatchedHistogram({
    name: 'gateway_time_to_first_token_seconds',
    help: 'Time to first token at the gateway',
    labelNames: ['route', 'intent', 'config', 'arm', 'traffic', 'streamed'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const overhead = new BatchedHistogram({
    name: 'gateway_overhead_seconds',
    help: 'Gateway time before the first byte went out, upstream time excluded',
    labelNames: ['operation'],
    buckets: OVERHEAD_BUCKETS,
    registers: [registry],
  });
  const upstreamErrors = new BatchedCounter({
    name: 'gateway_upstream_errors_total',
    help: 'Requests that ended in an error',
    labelNames: ['config', 'error_code'],
    registers: [registry],
  });
  const fallbacks = new Counter({
    name: 'gateway_fallbacks_total',
    help: 'Requests moved to a fallback configuration before any byte reached the client, by reason',
    labelNames: ['route', 'from_config', 'to_config', 'reason'],
    registers: [registry],
  });
  const stopReasons = new BatchedCounter({
    name: 'gateway_stop_reasons_total',
    help: 'Answers by why the model stopped (Converse names; unknown ones as other), e.g. guardrail_intervened',
    labelNames: ['route', 'intent', 'config', 'traffic', 'reason'],
    registers: [registry],
  });
  const spilled = new Counter({
    name: 'gateway_observations_spilled_total',
    help: 'Records written to the spill file while the store was failing',
    registers: [registry],
  });
  const replayed = new Counter({
    name: 'gateway_observations_replayed_total',
    help: 'Records replayed from the spill file into the store',
    registers: [registry],
  });
  const dropped = new Counter({
    name: 'gateway_observations_dropped_total',
    help: 'Records lost because the store and the spill file both failed',
    registers: [registry],
  });
  const copySpilled = new Counter({
    name: 'gateway_observation_copy_spilled_total',
    help: "Records written to the copy's spill file while the observation copy was failing",
    registers: [registry],
  });
  const copyReplayed = new Counter({
    name: 'gateway_observation_copy_replayed_total',
    help: "Records replayed from the copy's spill file into the observation copy",
    registers: [registry],
  });
  const copyDropped = new Counter({
    name: 'gateway_observation_copy_dropped_total',
    help: 'Records lost to the observation copy because it and its spill file both failed',
    registers: [registry],
  });
  const shadow = new Counter({
    name: 'gateway_shadow_requests_total',
    help: 'Shadow requests by outcome: sent, failed (of those sent), dropped_budget, dropped_body, dropped_shutdown',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const feedback = new Counter({
    name: 'gateway_feedback_events_total',
    help: 'Accepted feedback events',
    labelNames: ['metric'],
    registers: [registry],
  });

  return {
    registry,
    observation(o: Observation): void {
      const config = o.configId ?? o.route;
      // One key per label set: the series of this observation are found without building their labels again.
      const key = `${o.route}\0${o.intent}\0${config}\0${o.arm}\0${o.traffic}`;
      requests.inc(`${key}\0${o.operation}\0${o.status}`, () => ({
        ...labelsOf(o, config),
        operation: o.operation,
        status: String(o.status),
      }));
      if (o.inputTokens) tokens.inc(`${key}\0input`, () => ({ ...labelsOf(o, config), gen_ai_token_type: 'input' }), o.inputTokens);
      if (o.outputTokens) tokens.inc(`${key}\0output`, () => ({ ...labelsOf(o, config), gen_ai_token_type: 'output' }), o.outputTokens);
      if (o.cacheReadInputTokens)
        tokens.inc(`${key}\0cache_read`, () => ({ ...labelsOf(o, config), gen_ai_token_type: 'cache_read' }), o.cacheReadInputTokens);
      if (o.cacheWriteInputTokens)
        tokens.inc(`${key}\0cache_write`, () => ({ ...labelsOf(o, config), gen_ai_token_type: 'cache_write' }), o.cacheWriteInputTokens);
      if (o.costUsd) cost.inc(key, () => labelsOf(o, config), o.costUsd);
      const timingKey = `${key}\0${o.streamed}`;
      latency.observe(timingKey, () => timingLabelsOf(o, config), o.latencyMs / 1000);
      if (o.ttftMs !== null) ttft.observe(timingKey, () => timingLabelsOf(o, config), o.ttftMs / 1000);
      // Overhead is what a client waits for; a shadow request has no client.
      if (o.traffic !== 'shadow') overhead.observe(o.operation, () => ({ operation: o.operation }), o.overheadMs / 1000);
      if (o.stopReason) {
        const reason = KNOWN_STOP_REASONS.has(o.stopReason) ? o.stopReason : 'other';
        stopReasons.inc(`${key}\0${reason}`, () => ({ route: o.route, intent: o.intent, config, traffic: o.traffic, reason }));
      }
      if (o.errorCode) {
        const code = KNOWN_ERRORS.has(o.errorCode) ? o.errorCode : 'other';
        upstreamErrors.inc(`${config}\0${code}`, () => ({ config, error_code: code }));
      }
    },
    fallback(e): void {
      fallbacks.inc({ route: e.route, from_config: e.from, to_config: e.to, reason: e.reason });
    },
    feedback(events: FeedbackRecord[]): void {
      for (const e of events) feedback.inc({ metric: e.metric });
    },
    shadow(outcome: ShadowOutcome): void {
      shadow.inc({ outcome });
    },
    spilled: (n) => spilled.inc(n),
    replayed: (n) => replayed.inc(n),
    dropped: (n) => dropped.inc(n),
    copy: { spilled: (n) => copySpilled.inc(n), replayed: (n) => copyReplayed.inc(n), dropped: (n) => copyDropped.inc(n) },
    async exposition() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

/** The labels every series of an observation shares. */
function labelsOf(o: Observation, config: string) {
  return { route: o.route, intent: o.intent, config, arm: o.arm, traffic: o.traffic };
}

/** The labels of an observation's latency and TTFT series. */
function timingLabelsOf(o: Observation, config: string) {
  return { ...labelsOf(o, config), streamed: String(o.streamed) };
}
