import { withFields } from '../../lib/fields.ts';
import { priceKeyOf, upstreamModelOf, type ModelConfig } from '../../schema/config.ts';
import { fallbackChain } from '../../schema/fallbacks.ts';
import { priceOf } from '../../schema/pricing.ts';
import { ERRORS, errorCodeOfStatus, GatewayError } from '../errors.ts';
import type { RoutedCall } from '../routed.ts';
import type { HttpResponse } from '../upstreams/http/interface.ts';
import type { UpstreamCall, UpstreamClient, UpstreamResult } from '../upstreams/interface.ts';
import { decideRetry, retryReason, type FallbackPolicy, type FallbackReason } from './policy.ts';
import type { CancelSignal } from '../../lib/cancellation.ts';

/** One configuration's way to serve a request: where the call goes, and how its answer reaches the client. */
export interface AttemptPlan {
  client: UpstreamClient;
  request: Omit<UpstreamCall, 'signal'>;
  /** Reads the upstream answer (success or error) into the client's response; records the request's ending. */
  answer(response: HttpResponse): Promise<Response>;
}

/**
 * Builds the plan of a configuration. For the assigned configuration it throws a refusal (wrong operation for
 * its provider); for a fallback that cannot serve this request it returns null (or throws an `invalid_request`
 * refusal, e.g. content it cannot translate) and the fallback is skipped.
 */
export type PlanFor = (config: ModelConfig, fallback: boolean) => AttemptPlan | null;

/** A fallback taken: the bounded labels of the fallback counter. */
export interface FallbackEvent {
  route: string;
  from: string;
  to: string;
  reason: FallbackReason;
}

/** What running fallbacks needs of the process. */
export interface FallbackRuntime {
  policy: FallbackPolicy;
  /** Uniform in [0, 1): the backoff's jitter. */
  random: () => number;
  /** Waits `ms`, or less when `signal` aborts. */
  sleep: (ms: number, signal: CancelSignal) => Promise<void>;
  onFallback: (event: FallbackEvent) => void;
}

/** Sleeps on a timer that the signal cuts short. */
export function abortableSleep(ms: number, signal: CancelSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Sends a routed call to its configuration and, while the upstream throttles, fails with a 5xx, times out or cannot
 * be reached, to the configuration's fallbacks in order, within the policy's attempts and time budget, with
 * jittered backoff in between. Only the last attempt's answer is read and passed on (its ending is the request's
 * one ending); earlier ones are cancelled unread, so no byte of a failed attempt ever reaches the client. Pinned
 * calls (`config:<id>`) and pass-throughs make one attempt.
 */
export async function sendWithFallbacks(call: RoutedCall, runtime: FallbackRuntime, planFor: PlanFor): Promise<Response> {
  const first = call.config!;
  const chain = chainOf(call, runtime.policy);
  let plan = planFor(first, false)!;
  let config = first;
  let next = 1;
  const started = call.now();
  for (;;) {
    call.meter.upstreamStarted(config === first ? undefined : servedBy(call, config));
    const attemptStart = call.now();
    const result = await plan.client.call(withFields(plan.request, { signal: call.signal }));
    const reason = retryReason(result.ok ? { status: result.response.status } : { transport: result.error.code });
    let following: { config: ModelConfig; plan: AttemptPlan } | null = null;
    if (reason !== null) {
      for (; next < chain.length && !following; next++) {
        const candidate = chain[next]!;
        const candidatePlan = fallbackPlan(planFor, candidate);
        if (candidatePlan) following = { config: candidate, plan: candidatePlan };
      }
    }
    const state = { attempts: call.meter.attempts, elapsedMs: call.now() - started, hasNext: following !== null };
    const decision = decideRetry(reason, state, runtime.policy, runtime.random);
    if (!decision.retry || !following) return finish(call, result, plan);
    call.meter.attemptFailed({ configId: config.id, ...failureOf(result), ms: call.now() - attemptStart });
    if (result.ok) result.response.cancel();
    const event = { route: call.resolution.route, from: config.id, to: following.config.id, reason: reason! };
    runtime.onFallback(event);
    call.logger?.info('fallback', {
      requestId: call.meter.requestId,
      ...event,
      attempt: state.attempts,
      delayMs: Math.round(decision.delayMs),
    });
    await runtime.sleep(decision.delayMs, call.signal);
    if (call.signal.aborted) {
      call.meter.upstreamAnswered();
      const cut = call.cutBy();
      call.meter.finish(cut.status, cut.code);
      const message =
        cut.code === 'client_abort'
          ? 'the client went away while the gateway waited to try a fallback'
          : 'the gateway is shutting down; retry the request';
      throw new GatewayError(cut.code, message);
    }
    config = following.config;
    plan = following.plan;
  }
}

/**
 * A fallback's plan, or null when it cannot serve this request: its provider does not take the operation, or the
 * request cannot be translated for it (an image part for a Converse fallback, say). Such a refusal is not the
 * client's error, since the assigned configuration took the request: the fallback is skipped.
 */
function fallbackPlan(planFor: PlanFor, config: ModelConfig): AttemptPlan | null {
  try {
    return planFor(config, true);
  } catch (error) {
    if (error instanceof GatewayError && error.code === 'invalid_request') return null;
    throw error;
  }
}

/** The last attempt's outcome becomes the request's: its answer is read, or its transport failure recorded and thrown. */
function finish(call: RoutedCall, result: UpstreamResult, plan: AttemptPlan): Promise<Response> {
  if (result.ok) return plan.answer(result.response);
  call.meter.upstreamAnswered();
  const error = result.error.code === 'client_abort' ? new GatewayError(call.cutBy().code, result.error.message) : result.error;
  call.meter.finish(error.status, error.code);
  throw error;
}

/** How a given-up attempt failed: its status and the error type it named (or its status stands for). */
function failureOf(result: UpstreamResult): { status: number; errorCode: string } {
  if (!result.ok) return { status: result.error.status, errorCode: result.error.code };
  const { status } = result.response;
  const named = result.response.header('x-amzn-errortype')?.split(':')[0];
  return { status, errorCode: named || ERRORS[errorCodeOfStatus(status)].awsType };
}

/** The configurations a call may be served by, in order: only the assigned one for pinned calls. */
function chainOf(call: RoutedCall, policy: FallbackPolicy): ModelConfig[] {
  const first = call.config!;
  if (call.resolution.arm === 'pinned' || !first.fallbacks?.length || policy.maxAttempts <= 1) return [first];
  const configs = call.snapshot.index.configs;
  const byId = new Map([...configs.values()].map((c) => [c.id, c.fallbacks ?? []]));
  return fallbackChain(first.id, byId, configs.size).map((id) => configs.get(id)!);
}

function servedBy(call: RoutedCall, config: ModelConfig) {
  return {
    configId: config.id,
    upstreamModel: upstreamModelOf(config.upstream),
    price: priceOf(call.snapshot.config.pricing, priceKeyOf(config)),
  };
}
