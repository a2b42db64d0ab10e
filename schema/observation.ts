import { z } from 'zod';

/** Traffic classes: `shadow` is the gateway's own copy of a live request sent to a shadow candidate. */
export const TrafficClass = z.enum(['live', 'eval', 'warmup', 'shadow']);
export type TrafficClass = z.infer<typeof TrafficClass>;
/** The classes a client may ask for with `x-gateway-traffic` (never `shadow`). */
export const ClientTrafficClass = z.enum(['live', 'eval', 'warmup']);

/** How the configuration was chosen for a request. */
export const Arm = z.enum(['default', 'control', 'treatment', 'baseline', 'canary', 'unassigned', 'pinned', 'passthrough']);
export type Arm = z.infer<typeof Arm>;

/** What the client called: the four Bedrock operations and OpenAI Chat Completions (streamed or not). */
export const Operation = z.enum([
  'converse',
  'converse-stream',
  'invoke',
  'invoke-with-response-stream',
  'chat-completions',
  'chat-completions-stream',
]);
export type Operation = z.infer<typeof Operation>;

/** An upstream attempt given up for a fallback: its configuration, how it failed and how long it took (ms). */
export const FailedAttempt = z.object({
  configId: z.string(),
  /** The upstream's HTTP status, or the gateway's for a transport failure (408 timeout, 503 unreachable). */
  status: z.number().int(),
  /** The AWS error type the status or the upstream named (`ThrottlingException`, ...), or `upstream_timeout` / `upstream_unavailable`. */
  errorCode: z.string(),
  ms: z.number().nonnegative(),
});
export type FailedAttempt = z.infer<typeof FailedAttempt>;

/** One record per request that reached routing. Times are milliseconds; cost is USD. */
export const Observation = z.object({
  requestId: z.string(),
  /** Epoch milliseconds when the gateway received the request. */
  time: z.number(),
  route: z.string(),
  intent: z.string(),
  sessionId: z.string().nullable(),
  traffic: TrafficClass,
  experimentId: z.string().nullable(),
  canaryId: z.string().nullable(),
  arm: Arm,
  configId: z.string().nullable(),
  upstreamModel: z.string(),
  operation: Operation,
  streamed: z.boolean(),
  /** HTTP status the client got (for streams: 200 unless an error event or abort ended it). */
  status: z.number().int(),
  /** Null on success; otherwise the AWS error type or a gateway code such as `client_abort`. */
  errorCode: z.string().nullable(),
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  /** Null only when the model has no price (a pass-through model missing from the pricing table). */
  costUsd: z.number().nonnegative().nullable(),
  ttftMs: z.number().nullable(),
  latencyMs: z.number(),
  overheadMs: z.number(),
  /**
   * Version of the configuration the request was routed under (the config store's version; null when the gateway
   * serves a configuration file). Absent on rows written before it was recorded.
   */
  configVersion: z.number().int().nonnegative().nullable().optional(),
  /**
   * Probability that a session new at that moment lands in this request's arm: the split (treatment) or 1 - split
   * (control) of an experiment, weight / 100 (canary) or 1 - weight / 100 (baseline) of a canary; null where no
   * randomisation applies. Absent on rows written before it was recorded.
   */
  expectedShare: z.number().min(0).max(1).nullable().optional(),
  /** Replica that served the request (`REPLICA_ID`, default host:pid). Absent on rows written before it was recorded. */
  replicaId: z.string().nullable().optional(),
  /** Input tokens read from the provider's prompt cache (not part of `inputTokens`). */
  cacheReadInputTokens: z.number().int().nonnegative().nullable().optional(),
  /** Input tokens written to the provider's prompt cache (not part of `inputTokens`). */
  cacheWriteInputTokens: z.number().int().nonnegative().nullable().optional(),
  /** Why the model stopped (`end_turn`, `tool_use`, `guardrail_intervened`, ...), as the upstream said; null when unknown. */
  stopReason: z.string().nullable().optional(),
  /** Upstream attempts made for the request (more than 1 when fallbacks ran). */
  attempts: z.number().int().positive().nullable().optional(),
  /** Configuration that produced the answer when it differs from `configId` (a fallback); null otherwise. */
  servedConfigId: z.string().nullable().optional(),
  /** For traffic class `shadow`: the request id of the live request it copies; null otherwise. */
  shadowOf: z.string().nullable().optional(),
  /**
   * The attempts given up for a fallback, in order; the last attempt is the observation itself (its status, error,
   * model and cost). Null when the first attempt was the last.
   */
  failedAttempts: z.array(FailedAttempt).nullable().optional(),
});
export type Observation = z.infer<typeof Observation>;
