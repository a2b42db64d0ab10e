import { answerHeaders, composeAnswer, type Answer } from './answer.ts';
import type { Authenticator } from './auth.ts';
import { newCallRecord, type CallRecord, type ControlState, type FaultKind, type FaultSpec, type Operation } from './control.ts';
import { converseBody, converseStreamFrames } from './converse.ts';
import { awsError, errorStatus, type ErrorType } from './errors.ts';
import { EVENT_STREAM_TYPE } from './event-stream.ts';
import { invokeBody, invokeHeaders, invokeStreamFrames } from './invoke.ts';
import { planCall, throttledByProfile } from './plan.ts';
import { withCacheSplit, type PromptCache } from './prompt-cache.ts';
import { findProfile, type ProfileSet } from './profiles.ts';
import { parseAnthropicRequest, parseConverseRequest, type SimRequest } from './request.ts';
import { callSeed, createRng, hashString } from './rng.ts';
import { frameStream, nowMs, pacedFrames, sleep, waitUntil, type ScheduledFrame } from './timing.ts';
import type { AnswerWriter } from './writer.ts';

/** What every call needs from its simulator. */
export interface CallEnv {
  seedHash: number;
  timeScale: number;
  /** When set, every streamed answer lasts this many real ms (`pacedFrames`); null keeps the simulated timing. */
  streamDurationMs: number | null;
  writer: AnswerWriter;
  profiles: ProfileSet;
  randomFaults: boolean;
  control: ControlState;
  /** Prefixes cached by requests with cache points. */
  promptCache: PromptCache;
  authenticate: Authenticator;
}

const FAULT_ERRORS: Partial<Record<FaultKind, ErrorType>> = {
  throttle: 'ThrottlingException',
  error: 'InternalServerException',
  timeout: 'ModelTimeoutException',
  unavailable: 'ServiceUnavailableException',
};

const decoder = new TextDecoder();
const modelHashes = new Map<string, number>();

/** Serves one Bedrock Runtime call end to end: auth, validation, faults, answer, timing and logging. */
export async function handleCall(env: CallEnv, operation: Operation, modelId: string, req: Request): Promise<Response> {
  const startedAt = nowMs();
  const url = new URL(req.url);
  const body = new Uint8Array(await req.arrayBuffer());
  const record: CallRecord = newCallRecord(modelId, operation, req.headers, startedAt);
  const fail = (type: ErrorType, message?: string): Response => {
    record.status = errorStatus(type);
    record.firstByteAt = record.finishedAt = nowMs();
    return awsError(type, message);
  };
  const auth = await env.authenticate({ method: req.method, url, headers: req.headers, body });
  env.control.record(record);
  if (!auth.ok) return fail(auth.type, auth.message);
  record.signature = auth.signature;

  const profile = findProfile(env.profiles, modelId);
  if (!profile) return fail('ValidationException', 'The provided model identifier is invalid.');
  const text = decoder.decode(body);
  env.control.keepBody(modelId, text);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return fail('ValidationException', 'Malformed input request, please reformat your input and try again.');
  }
  const parsed = operation.startsWith('converse') ? parseConverseRequest(json) : parseAnthropicRequest(json);
  if ('invalid' in parsed) return fail('ValidationException', parsed.invalid);
  let request: SimRequest = parsed;
  if (request.maxTokens !== undefined && request.maxTokens > profile.maxOutputTokens) {
    const max = profile.maxOutputTokens;
    return fail(
      'ValidationException',
      `The maximum tokens you requested exceeds the model limit of ${max}. Try again with a maximum tokens value that is lower than ${max}.`,
    );
  }
  if (request.intent) record.intent = request.intent;
  record.inputTokens = request.inputTokens;

  const index = env.control.nextIndex(modelId);
  const seed = callSeed(env.seedHash, modelHashOf(modelId), index);
  const plan = planCall(profile, record.intent, index, createRng(seed));
  const injected = env.control.takeFault(modelId) ?? (throttledByProfile(profile, index, seed) ? { kind: 'throttle' as const } : null);
  const fault: FaultSpec | null = injected ?? (env.randomFaults && plan.fault ? { kind: plan.fault } : null);
  record.fault = fault?.kind ?? null;
  if (fault?.kind === 'delay') await sleep(fault.delayMs ?? 0);
  const streaming = operation.endsWith('stream');
  const errorType = fault
    ? (FAULT_ERRORS[fault.kind] ?? (fault.kind === 'stream-error' && !streaming ? 'InternalServerException' : undefined))
    : undefined;
  if (errorType) return fail(errorType);

  request = withCacheSplit(env.promptCache, modelId, request);
  if (request.cache) Object.assign(record, request.cache, { inputTokens: request.inputTokens });
  let answer: Answer;
  try {
    answer = composeAnswer({ modelId, intent: record.intent, profile, request, plan, writer: env.writer, callSeed: seed });
  } catch (error) {
    return fail('InternalServerException', `answer writer failed: ${(error as Error).message}`);
  }
  record.outputTokens = answer.outputTokens;
  record.quality = answer.quality;
  return streaming ? streamResponse(env, operation, answer, fault, record) : jsonResponse(env, operation, answer, record);
}

async function jsonResponse(env: CallEnv, operation: Operation, answer: Answer, record: CallRecord): Promise<Response> {
  const body = JSON.stringify(operation === 'converse' ? converseBody(answer) : invokeBody(answer));
  const headers = answerHeaders(answer, 'application/json');
  if (operation === 'invoke') Object.assign(headers, invokeHeaders(answer));
  await waitUntil(record.startedAt, answer.latencyMs, env.timeScale);
  record.firstByteAt = record.finishedAt = nowMs();
  return new Response(body, { status: 200, headers });
}

function streamResponse(env: CallEnv, operation: Operation, answer: Answer, fault: FaultSpec | null, record: CallRecord): Response {
  const frames = operation === 'converse-stream' ? converseStreamFrames(answer, fault) : invokeStreamFrames(answer, fault);
  const [timed, timeScale] = streamTiming(env, frames);
  const stream = frameStream(timed, record.startedAt, timeScale, {
    onFirstContent: () => (record.firstByteAt = nowMs()),
    onEnd: (cancelled) => {
      record.finishedAt = nowMs();
      if (cancelled) record.cancelled = true;
    },
  });
  return new Response(stream, { status: 200, headers: answerHeaders(answer, EVENT_STREAM_TYPE) });
}

/** The frames and time scale a stream is written with: the simulated timing, or paced to `streamDurationMs`. */
export function streamTiming(env: CallEnv, frames: Iterable<ScheduledFrame>): [Iterable<ScheduledFrame>, number] {
  if (env.streamDurationMs === null) return [frames, env.timeScale];
  return [pacedFrames(frames, env.timeScale, env.streamDurationMs), 1];
}

function modelHashOf(modelId: string): number {
  let hash = modelHashes.get(modelId);
  if (hash === undefined) {
    hash = hashString(modelId);
    if (modelHashes.size < 10_000) modelHashes.set(modelId, hash);
  }
  return hash;
}
