import { firstTokenMs, generationMs, type CallPlan } from './plan.ts';
import type { ModelProfile } from './profiles.ts';
import type { SimRequest } from './request.ts';
import { createRng, mix32 } from './rng.ts';
import { chooseToolCall, GUARDRAIL_MESSAGE, guardrailIntervenes, guardrailTrace, type SimToolCall } from './tools.ts';
import type { AnswerWriter } from './writer.ts';

/** A produced answer with its simulated timing. */
export interface Answer {
  modelId: string;
  requestId: string;
  tokens: string[];
  inputTokens: number;
  outputTokens: number;
  /** Prompt-cache reads and writes, present when the request had cache points (`inputTokens` excludes them). */
  cache?: { cacheReadInputTokens: number; cacheWriteInputTokens: number } | undefined;
  stopReason: 'end_turn' | 'max_tokens' | 'tool_use' | 'guardrail_intervened';
  /** The tool call the model made instead of text (stop reason `tool_use`), or null. */
  toolCall: SimToolCall | null;
  /** Converse `trace` (the guardrail's assessment when it intervened with tracing on), or null. */
  trace: Record<string, unknown> | null;
  quality: number;
  /** Simulated time to first token, ms (cold start included). */
  ttftMs: number;
  /** Simulated total latency, ms. */
  latencyMs: number;
  plan: CallPlan;
}

/** A piece of the answer sent as one stream delta. */
export interface Delta {
  text: string;
  /** Simulated ms after the call started at which this delta is due. */
  atMs: number;
}

/** Inputs of `composeAnswer`. */
export interface AnswerInput {
  modelId: string;
  intent: string;
  profile: ModelProfile;
  request: SimRequest;
  plan: CallPlan;
  writer: AnswerWriter;
  callSeed: number;
}

/**
 * Runs the writer, applies the max-tokens cap and derives usage and timing. A guarded request holding the
 * trigger phrase gets the guardrail's message instead (`guardrail_intervened`), and a request offering a tool
 * its prompt asks for gets that tool call (`tool_use`); see `tools.ts`.
 */
export function composeAnswer(input: AnswerInput): Answer {
  const { request, plan } = input;
  if (request.guardrail && guardrailIntervenes(request)) {
    const tokens = GUARDRAIL_MESSAGE.split(' ').map((w, i) => (i ? ` ${w}` : w));
    const trace = request.guardrail.trace ? guardrailTrace(request.guardrail) : null;
    return timed(input, tokens, tokens.length, { stopReason: 'guardrail_intervened', toolCall: null, trace });
  }
  const toolCall = chooseToolCall(request, input.callSeed);
  if (toolCall) {
    const outputTokens = Math.max(1, Math.ceil(JSON.stringify(toolCall.input).length / 4) + 8);
    return timed(input, [], outputTokens, { stopReason: 'tool_use', toolCall, trace: null });
  }
  const written = input.writer({
    modelId: input.modelId,
    intent: input.intent,
    messages: request.messages,
    system: request.system,
    targetTokens: plan.targetTokens,
    rng: createRng(mix32(input.callSeed ^ 0x5bd1e995)),
    profile: input.profile,
  });
  const cap = request.maxTokens ?? input.profile.maxOutputTokens;
  const tokens = written.length > cap ? written.slice(0, cap) : written;
  return timed(input, tokens, tokens.length, { stopReason: written.length > cap ? 'max_tokens' : 'end_turn', toolCall: null, trace: null });
}

function timed(input: AnswerInput, tokens: string[], outputTokens: number, how: Pick<Answer, 'stopReason' | 'toolCall' | 'trace'>): Answer {
  const ttftMs = firstTokenMs(input.plan);
  return {
    modelId: input.modelId,
    requestId: requestIdOf(input.callSeed),
    tokens,
    inputTokens: input.request.inputTokens,
    outputTokens,
    ...(input.request.cache ? { cache: input.request.cache } : {}),
    ...how,
    quality: input.plan.quality,
    ttftMs,
    latencyMs: ttftMs + generationMs(input.plan, outputTokens),
    plan: input.plan,
  };
}

/** A tool call's input as JSON, cut into a few pieces the way a model streams it. */
export function toolInputPieces(call: SimToolCall): string[] {
  const json = JSON.stringify(call.input);
  const size = Math.max(1, Math.ceil(json.length / 3));
  const pieces: string[] = [];
  for (let at = 0; at < json.length; at += size) pieces.push(json.slice(at, at + size));
  return pieces;
}

/** The whole answer text. */
export function answerText(answer: Answer): string {
  return answer.tokens.join('');
}

/** The answer cut into stream deltas of a few tokens, each due when its first token is produced. */
export function answerDeltas(answer: Answer): Delta[] {
  const n = answer.tokens.length;
  const size = Math.max(4, Math.ceil(n / 48));
  const deltas: Delta[] = [];
  for (let start = 0; start < n; start += size) {
    deltas.push({ text: answer.tokens.slice(start, start + size).join(''), atMs: answer.ttftMs + generationMs(answer.plan, start) });
  }
  return deltas;
}

/** Response headers every successful answer carries. */
export function answerHeaders(answer: Answer, contentType: string): Record<string, string> {
  return {
    'content-type': contentType,
    'x-amzn-requestid': answer.requestId,
    'x-simulator-quality': answer.quality.toFixed(4),
  };
}

function requestIdOf(seed: number): string {
  const rng = createRng(seed ^ 0x27d4eb2f);
  let hex = '';
  for (let i = 0; i < 4; i++)
    hex += Math.floor(rng.next() * 0x100000000)
      .toString(16)
      .padStart(8, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
