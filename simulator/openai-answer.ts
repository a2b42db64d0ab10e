import { answerDeltas, answerText, toolInputPieces, type Answer } from './answer.ts';
import type { FaultSpec } from './control.ts';
import { openaiErrorBody, streamErrorCode } from './openai-errors.ts';
import type { ScheduledFrame } from './timing.ts';
import type { SimToolCall } from './tools.ts';

/** Content type of a Chat Completions stream. */
export const SSE_TYPE = 'text/event-stream; charset=utf-8';

const encoder = new TextEncoder();
const DONE = encoder.encode('data: [DONE]\n\n');

/** The `chatcmpl-…` id of an answer: derived from its seeded request id, so it is deterministic too. */
export function completionId(answer: Answer): string {
  return `chatcmpl-${answer.requestId.replaceAll('-', '')}`;
}

/** The non-streaming `chat.completion` body. */
export function chatCompletionBody(answer: Answer, model: string, created: number): unknown {
  return {
    id: completionId(answer),
    object: 'chat.completion',
    created,
    model,
    choices: [
      {
        index: 0,
        message: answer.toolCall
          ? {
              role: 'assistant',
              content: null,
              refusal: null,
              tool_calls: [functionCall(answer.toolCall, JSON.stringify(answer.toolCall.input))],
            }
          : { role: 'assistant', content: answerText(answer), refusal: null },
        finish_reason: finishReason(answer),
        logprobs: null,
      },
    ],
    usage: usageOf(answer),
  };
}

/**
 * The `chat.completion.chunk` events of a stream: a role chunk, content chunks, a finish chunk, the usage
 * chunk when asked for, and `[DONE]`; or, with a `stream-error` fault, a few content chunks and an error event.
 */
export function* chatCompletionFrames(
  answer: Answer,
  model: string,
  created: number,
  includeUsage: boolean,
  fault: FaultSpec | null,
): Generator<ScheduledFrame> {
  const base = { id: completionId(answer), object: 'chat.completion.chunk', created, model };
  const chunk = (delta: Record<string, unknown>, finish: string | null): Uint8Array =>
    sse({ ...base, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] });
  yield { atMs: 0, bytes: chunk({ role: 'assistant', content: '' }, null) };
  const call = answer.toolCall;
  if (call) {
    yield { atMs: answer.ttftMs, content: true, bytes: chunk({ tool_calls: [{ index: 0, ...functionCall(call, '') }] }, null) };
    for (const piece of toolInputPieces(call))
      yield { atMs: answer.ttftMs, bytes: chunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] }, null) };
  }
  const deltas = call ? [] : answerDeltas(answer);
  const breakAfter = fault?.kind === 'stream-error' ? (fault.afterDeltas ?? 2) : Infinity;
  for (let i = 0; i < deltas.length && i < breakAfter; i++) {
    const delta = deltas[i]!;
    yield { atMs: delta.atMs, content: true, bytes: chunk({ content: delta.text }, null) };
  }
  if (fault?.kind === 'stream-error') {
    const at = deltas[Math.min(breakAfter, deltas.length) - 1]?.atMs ?? answer.ttftMs;
    yield { atMs: at, bytes: sse(openaiErrorBody(streamErrorCode(fault.exception))) };
    return;
  }
  const end = answer.latencyMs;
  yield { atMs: end, bytes: chunk({}, finishReason(answer)) };
  if (includeUsage) yield { atMs: end, bytes: sse({ ...base, choices: [], usage: usageOf(answer) }) };
  yield { atMs: end, bytes: DONE };
}

function sse(payload: unknown): Uint8Array {
  return encoder.encode(`data: ${JSON.stringify(payload)}\n\n`);
}

function finishReason(answer: Answer): 'stop' | 'length' | 'tool_calls' {
  if (answer.stopReason === 'tool_use') return 'tool_calls';
  return answer.stopReason === 'max_tokens' ? 'length' : 'stop';
}

function functionCall(call: SimToolCall, args: string): Record<string, unknown> {
  return { id: call.id, type: 'function', function: { name: call.name, arguments: args } };
}

/**
 * Chat Completions usage. With cache points, `prompt_tokens` counts the cache reads and writes too, and
 * `prompt_tokens_details.cached_tokens` says how many were read (OpenAI's convention).
 */
function usageOf(answer: Answer): Record<string, unknown> {
  const cache = answer.cache;
  const prompt = answer.inputTokens + (cache ? cache.cacheReadInputTokens + cache.cacheWriteInputTokens : 0);
  const usage: Record<string, unknown> = {
    prompt_tokens: prompt,
    completion_tokens: answer.outputTokens,
    total_tokens: prompt + answer.outputTokens,
  };
  if (cache) usage.prompt_tokens_details = { cached_tokens: cache.cacheReadInputTokens };
  return usage;
}
