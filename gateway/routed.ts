import type { Context } from 'hono';
import { withFields } from '../lib/fields.ts';
import { noLogger, type Logger } from '../lib/log/interface.ts';
import { priceKeyOf, upstreamModelOf, type ModelConfig } from '../schema/config.ts';
import { ClientTrafficClass, type Observation, type Operation, type TrafficClass } from '../schema/observation.ts';
import { priceOf } from '../schema/pricing.ts';
import type { ConfigSnapshot, GatewayEnv, RoutedDeps } from './deps.ts';
import { GatewayError } from './errors.ts';
import { abortableSleep, sendWithFallbacks, type FallbackRuntime, type PlanFor } from './fallback/run.ts';
import { DEFAULT_FALLBACK_POLICY } from './fallback/policy.ts';
import { gatewayHeaders } from './headers.ts';
import { RequestMeter } from './metering/meter.ts';
import { resolve, type Resolution } from './routing/resolve.ts';
import { selectShadow } from './routing/shadow.ts';
import { MAX_CAPTURED_ANSWER_BYTES, ShadowDispatcher, type ShadowMark } from './shadow/dispatcher.ts';
import { AnswerCapture } from './shadow/texts.ts';
import type { AnswerContext, CutBy } from './stream/interface.ts';
import type { HttpResponse } from './upstreams/http/interface.ts';
import type { UpstreamCall, UpstreamClient } from './upstreams/interface.ts';

/**
 * A request after routing: its configuration (null for a pass-through), and what its answer needs
 * (meter, signal, deadlines).
 */
export interface RoutedCall extends AnswerContext {
  resolution: Resolution;
  config: ModelConfig | null;
  snapshot: ConfigSnapshot;
}

export interface RoutingRequest {
  operation: Operation;
  modelId: string;
  intent: string | null;
  sessionId: string | null;
  /** The request body as received, kept for a shadow copy when the session is in a shadow share. */
  body?: string;
}

/** Shared per-process pieces of routed calls, built once per app. */
export function routedCalls(deps: RoutedDeps) {
  const logger = deps.logger ?? noLogger;
  const record = (o: Observation): void => {
    deps.telemetry.observation(o);
    deps.sink.record(o);
    if (o.errorCode !== null) logFailedRequest(logger, o);
  };
  const cutBy: CutBy = () => (deps.lifecycle.cutting ? { status: 503, code: 'shutdown_abort' } : { status: 499, code: 'client_abort' });

  /** Routes a request and starts its meter; 404 for `config:<id>` naming nothing. */
  function begin(c: Context<GatewayEnv>, r: RoutingRequest, snapshot: ConfigSnapshot = deps.config.current()): RoutedCall {
    const mark = deps.shadowDispatcher.markOf(c.req.raw);
    const traffic = mark ? 'shadow' : parseTraffic(c.req.header('x-gateway-traffic'));
    const routed = resolve(snapshot.index, r.modelId, r.intent, r.sessionId);
    if (!routed) throw new GatewayError('unknown_config', `no model configuration "${r.modelId.slice('config:'.length)}"`);
    const resolution = mark ? shadowResolution(routed, mark) : routed;
    const config = resolution.config;
    const shadowing = traffic === 'live' ? shadowJobOf(c, r, resolution, snapshot) : null;
    // A shadow request reports its observation to the dispatcher; a shadowed live request hands its job over.
    const after = mark?.observed ?? shadowing?.offer;
    const onRecord = after
      ? (o: Observation): void => {
          record(o);
          after(o);
        }
      : record;
    const meter = new RequestMeter(
      {
        requestId: c.get('requestId'),
        time: c.get('time'),
        t0: c.get('t0'),
        operation: r.operation,
        traffic,
        sessionId: r.sessionId,
        resolution,
        configVersion: snapshot.version,
        upstreamModel: config ? upstreamModelOf(config.upstream) : r.modelId,
        price: priceOf(snapshot.config.pricing, config ? priceKeyOf(config) : r.modelId),
        shadowOf: mark?.liveRequestId ?? null,
      },
      onRecord,
      deps.now,
    );
    c.set('meter', meter);
    c.set('routed', { config: config?.id ?? resolution.route, arm: resolution.arm });
    return {
      resolution,
      config,
      snapshot,
      meter,
      cutBy,
      signal: c.get('signal'),
      now: deps.now,
      idleTimeoutMs: deps.upstreamIdleTimeoutMs,
      logger: deps.logger,
      streamBody: deps.streamBody,
      headers() {
        return gatewayHeaders(c, deps.now);
      },
      ...(mark ? { tap: mark.capture.tap } : shadowing ? { tap: shadowing.capture.tap } : {}),
    };
  }

  /**
   * A live request of a session in a shadow share: its body (unless larger than the cap, then dropped and counted)
   * and a capture of its answer, handed to the dispatcher once its observation is recorded.
   */
  function shadowJobOf(c: Context<GatewayEnv>, r: RoutingRequest, resolution: Resolution, snapshot: ConfigSnapshot) {
    const candidate = selectShadow(snapshot.index, resolution, r.sessionId);
    if (!candidate || r.body === undefined || !resolution.config) return null;
    const dispatcher = deps.shadowDispatcher;
    if (r.body.length > dispatcher.maxBodyBytes || encoder.encode(r.body).length > dispatcher.maxBodyBytes) {
      dispatcher.count('dropped_body');
      return null;
    }
    const capture = new AnswerCapture(MAX_CAPTURED_ANSWER_BYTES);
    const job = {
      config: candidate,
      url: c.req.url,
      headers: ShadowDispatcher.keptHeaders(c.req.raw.headers),
      body: r.body,
      liveAnswer: capture,
      liveProvider: resolution.config.upstream.provider,
    };
    return { capture, offer: (live: Observation) => dispatcher.offer({ ...job, live }) };
  }

  const fallbacks: FallbackRuntime = {
    policy: deps.fallback ?? DEFAULT_FALLBACK_POLICY,
    random: deps.random ?? Math.random,
    sleep: abortableSleep,
    onFallback: (event) => deps.telemetry.fallback?.(event),
  };

  /**
   * Serves a call routed to a configuration: its plan first, then (on throttling, 5xx, timeout, unreachable before
   * any byte went out) its fallbacks' (fallback/run.ts).
   */
  function serve(call: RoutedCall, planFor: PlanFor): Promise<Response> {
    return sendWithFallbacks(call, fallbacks, planFor);
  }

  return { begin, serve };
}

const encoder = new TextEncoder();

/** A shadow request is routed like its live request, then answered by the candidate, outside any experiment or canary. */
function shadowResolution(routed: Resolution, mark: ShadowMark): Resolution {
  return { ...routed, arm: 'pinned', config: mark.config, experimentId: null, canaryId: null, expectedShare: null };
}

/**
 * Sends a routed call upstream with the request's signal. A transport failure before the answer's headers
 * (client gone, header deadline, unreachable) is recorded and thrown; an HTTP error answer is returned.
 */
export async function sendUpstream(
  call: RoutedCall,
  upstream: UpstreamClient,
  request: Omit<UpstreamCall, 'signal'>,
): Promise<HttpResponse> {
  call.meter.upstreamStarted();
  const result = await upstream.call(withFields(request, { signal: call.signal }));
  if (result.ok) return result.response;
  call.meter.upstreamAnswered();
  const error = result.error.code === 'client_abort' ? new GatewayError(call.cutBy().code, result.error.message) : result.error;
  call.meter.finish(error.status, error.code);
  throw error;
}

/**
 * One line per routed request that did not complete (upstream error, timeout, refusal after routing, abort):
 * what it was routed to and how it ended; never the body, and not the session id (a user identifier).
 */
export function logFailedRequest(logger: Logger, o: Observation): void {
  const level = o.status >= 500 ? 'error' : 'warn';
  logger[level]('request failed', {
    requestId: o.requestId,
    route: o.route,
    intent: o.intent,
    config: o.configId,
    arm: o.arm,
    experiment: o.experimentId,
    canary: o.canaryId,
    traffic: o.traffic,
    operation: o.operation,
    status: o.status,
    errorCode: o.errorCode,
    upstreamModel: o.upstreamModel,
    latencyMs: Math.round(o.latencyMs),
    configVersion: o.configVersion,
  });
}

/** The client's traffic class; `shadow` is the gateway's own and refused like any other bad value. */
function parseTraffic(value: string | undefined): TrafficClass {
  if (value === undefined) return 'live';
  const parsed = ClientTrafficClass.safeParse(value);
  if (parsed.success) return parsed.data;
  const own = value === 'shadow' ? ' (shadow is set by the gateway itself, never by a client)' : '';
  throw new GatewayError(
    'invalid_request',
    `x-gateway-traffic must be one of ${ClientTrafficClass.options.join(', ')}, got "${value}"${own}`,
  );
}
