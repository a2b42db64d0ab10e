import { composeAnswer, type Answer } from './answer.ts';
import type { BearerResult } from './auth.ts';
import { streamTiming, type CallEnv } from './call.ts';
import { newCallRecord, type CallRecord, type FaultSpec } from './control.ts';
import { chatCompletionBody, chatCompletionFrames, SSE_TYPE } from './openai-answer.ts';
import { FAULT_OPENAI_ERRORS, modelNotFound, openaiError } from './openai-errors.ts';
import { parseChatRequest, type ChatRequest } from './openai-request.ts';
import { planCall, throttledByProfile } from './plan.ts';
import { withCacheSplit } from './prompt-cache.ts';
import { findProfile, type ModelProfile } from './profiles.ts';
import { callSeed, createRng, hashString } from './rng.ts';
import { frameStream, nowMs, sleep, waitUntil } from './timing.ts';

/** What a Chat Completions call needs: the Bedrock call's environment plus the bearer-key check. */
export interface ChatEnv extends CallEnv {
  checkBearer(headers: Headers): BearerResult;
}

/**
 * Serves `POST /v1/chat/completions` with the same profiles, seeds, faults and call log as the Bedrock
 * operations; answers and errors are OpenAI-shaped.
 */
export async function handleChatCompletion(env: ChatEnv, req: Request): Promise<Response> {
  const startedAt = nowMs();
  const text = await req.text();
  const record = env.control.record(newCallRecord('', 'chat-completions', req.headers, startedAt));
  const checked = checkCall(env, req.headers, text, record);
  if (checked instanceof Response) return finish(record, checked);
  const { profile } = checked;
  let request = checked.request;

  const index = env.control.nextIndex(request.model);
  const seed = callSeed(env.seedHash, hashString(request.model), index);
  const plan = planCall(profile, record.intent, index, createRng(seed));
  const injected =
    env.control.takeFault(request.model) ?? (throttledByProfile(profile, index, seed) ? { kind: 'throttle' as const } : null);
  const fault: FaultSpec | null = injected ?? (env.randomFaults && plan.fault ? { kind: plan.fault } : null);
  record.fault = fault?.kind ?? null;
  if (fault?.kind === 'delay') await sleep(fault.delayMs ?? 0);
  const errorCode = fault
    ? (FAULT_OPENAI_ERRORS[fault.kind] ?? (fault.kind === 'stream-error' && !request.stream ? 'internal_error' : undefined))
    : undefined;
  if (errorCode) return finish(record, openaiError(errorCode));

  request = withCacheSplit(env.promptCache, request.model, request);
  if (request.cache) Object.assign(record, request.cache, { inputTokens: request.inputTokens });
  let answer: Answer;
  try {
    answer = composeAnswer({ modelId: request.model, intent: record.intent, profile, request, plan, writer: env.writer, callSeed: seed });
  } catch (error) {
    return finish(record, openaiError('internal_error', `answer writer failed: ${(error as Error).message}`));
  }
  record.outputTokens = answer.outputTokens;
  record.quality = answer.quality;
  return respond(env, request, answer, fault, record);
}

/** Auth, JSON, body and model checks; the refusal as a response, or the request and its model's profile. */
function checkCall(
  env: ChatEnv,
  headers: Headers,
  text: string,
  record: CallRecord,
): { request: ChatRequest; profile: ModelProfile } | Response {
  const auth = env.checkBearer(headers);
  if (!auth.ok) return openaiError(auth.reason === 'missing' ? 'missing_api_key' : 'invalid_api_key');
  record.signature = auth.signature;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return openaiError(
      'invalid_request',
      "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload.)",
    );
  }
  const request = parseChatRequest(json);
  if ('invalid' in request) return openaiError('invalid_request', request.invalid, request.param);
  env.control.keepBody(request.model, text);
  record.modelId = request.model;
  if (request.stream) record.operation = 'chat-completions-stream';
  const profile = findProfile(env.profiles, request.model);
  if (!profile) return modelNotFound(request.model);
  if (request.maxTokens !== undefined && request.maxTokens > profile.maxOutputTokens) {
    const param = (json as Record<string, unknown>).max_completion_tokens !== undefined ? 'max_completion_tokens' : 'max_tokens';
    return openaiError(
      'invalid_request',
      `${param} is too large: ${request.maxTokens}. This model supports at most ${profile.maxOutputTokens} completion tokens.`,
      param,
    );
  }
  if (request.intent) record.intent = request.intent;
  record.inputTokens = request.inputTokens;
  return { request, profile };
}

/** The answer as one JSON body when due, or as server-sent events written over time. */
async function respond(env: ChatEnv, request: ChatRequest, answer: Answer, fault: FaultSpec | null, record: CallRecord): Promise<Response> {
  const created = Math.floor(Date.now() / 1000);
  const headers = { 'x-request-id': answer.requestId, 'x-simulator-quality': answer.quality.toFixed(4) };
  if (!request.stream) {
    const body = JSON.stringify(chatCompletionBody(answer, request.model, created));
    await waitUntil(record.startedAt, answer.latencyMs, env.timeScale);
    record.firstByteAt = record.finishedAt = nowMs();
    return new Response(body, { status: 200, headers: { ...headers, 'content-type': 'application/json' } });
  }
  const frames = chatCompletionFrames(answer, request.model, created, request.includeUsage, fault);
  const [timed, timeScale] = streamTiming(env, frames);
  const stream = frameStream(timed, record.startedAt, timeScale, {
    onFirstContent: () => (record.firstByteAt = nowMs()),
    onEnd: (cancelled) => {
      record.finishedAt = nowMs();
      if (cancelled) record.cancelled = true;
    },
  });
  return new Response(stream, { status: 200, headers: { ...headers, 'content-type': SSE_TYPE, 'cache-control': 'no-cache' } });
}

function finish(record: CallRecord, response: Response): Response {
  record.status = response.status;
  record.firstByteAt = record.finishedAt = nowMs();
  return response;
}
