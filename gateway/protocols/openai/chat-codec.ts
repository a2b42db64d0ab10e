import type { ChatEvent, ChatResult, ClientCodec, ToolCall, UpstreamCodec } from '../../canonical.ts';
import { canonicalStop, recordedOfFinish, STOP_TO_FINISH } from '../../stop-reasons.ts';
import { MalformedUpstream, type ClientError } from '../../stream/interface.ts';
import { SseSplitter, type SseEvent } from './sse.ts';
import { encodeChatRequest } from './chat-request.ts';
import { chatUsageOf, type OpenAIUsage, openAIUsageOf } from './chat-usage.ts';
import { utf8 } from '../../../lib/utf8.ts';

/** The upstream side of Chat Completions. */
export const chatUpstreamCodec: UpstreamCodec = {
  operation: (stream) => (stream ? 'chat-completions-stream' : 'chat-completions'),
  encodeRequest: encodeChatRequest,
  decode(json) {
    const answer = json as ChatJson;
    const choice = answer.choices?.[0];
    const recorded = choice?.finish_reason ? recordedOfFinish(choice.finish_reason) : null;
    return {
      text: choice?.message?.content ?? '',
      toolCalls: (choice?.message?.tool_calls ?? []).map(toolCallOf),
      stopReason: canonicalStop(recorded),
      recordedStopReason: recorded,
      usage: chatUsageOf(answer.usage),
    };
  },
  errorType: openAIErrorType,
  decoder() {
    const splitter = new SseSplitter();
    // Some OpenAI-compatible servers repeat a tool call's id and name on every chunk of it: only the first starts it.
    const started = new Set<number>();
    const firstStart = (event: ChatEvent): boolean => {
      if (event.type !== 'tool_start') return true;
      if (started.has(event.index)) return false;
      started.add(event.index);
      return true;
    };
    const eventsOf = (events: SseEvent[]): ChatEvent[] => events.flatMap((event) => chunkEvents(event.data)).filter(firstStart);
    return {
      push: (chunk) => eventsOf(splitter.push(chunk)),
      end: () => eventsOf(checkedRest(splitter)),
    };
  },
};

/**
 * What an SSE stream left without its blank line at the end: a last `[DONE]` is whole (some servers end so);
 * anything else is an event cut short.
 */
export function checkedRest(splitter: SseSplitter): SseEvent[] {
  const rest = splitter.flush();
  if (rest.some((event) => event.data !== '[DONE]')) throw new MalformedUpstream('the stream ended inside an event');
  return rest;
}

interface FunctionCall {
  index?: number;
  id?: string;
  function?: { name?: string; arguments?: string };
}

interface ChatJson {
  choices?: {
    message?: { content?: string | null; tool_calls?: FunctionCall[] | null };
    delta?: { content?: string | null; tool_calls?: FunctionCall[] | null };
    finish_reason?: string | null;
  }[];
  usage?: OpenAIUsage | null;
  error?: { message?: string; type?: string; code?: string | null };
}

/** Canonical events of one `data:` line of a Chat Completions stream; throws `MalformedUpstream` when it is not JSON. */
export function chunkEvents(data: string): ChatEvent[] {
  if (!data) return [];
  if (data === '[DONE]') return [DONE];
  let json: ChatJson;
  try {
    json = JSON.parse(data) as ChatJson;
  } catch {
    throw new MalformedUpstream('a stream event whose data is not JSON');
  }
  if (json.error)
    return [{ type: 'error', errorType: errorTypeOfOpenAI(json.error.type, json.error.code), message: json.error.message ?? '' }];
  const events: ChatEvent[] = [];
  const choice = json.choices?.[0];
  if (choice?.delta?.content) events.push({ type: 'text', text: choice.delta.content });
  for (const call of choice?.delta?.tool_calls ?? []) {
    const index = call.index ?? 0;
    if (call.id) events.push({ type: 'tool_start', index, id: call.id, name: call.function?.name ?? '' });
    if (call.function?.arguments) events.push({ type: 'tool_delta', index, json: call.function.arguments });
  }
  if (choice?.finish_reason) {
    const recorded = recordedOfFinish(choice.finish_reason);
    events.push({ type: 'stop', reason: canonicalStop(recorded), recorded });
  }
  if (json.usage) events.push({ type: 'usage', ...chatUsageOf(json.usage) });
  return events;
}

const DONE: ChatEvent = { type: 'done' };

/** A whole answer's tool call; arguments that are no JSON object make the answer malformed (Converse needs an object). */
function toolCallOf(call: FunctionCall): ToolCall {
  let input: unknown;
  try {
    input = JSON.parse(call.function?.arguments || '{}');
  } catch {
    input = undefined;
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new MalformedUpstream(`tool call ${call.id ?? ''} has arguments that are no JSON object`);
  return { id: call.id ?? '', name: call.function?.name ?? '', input: input as Record<string, unknown> };
}

/** The error type of an OpenAI-style error answer (`{error: {type, code}}`), or null when it names none. */
export function openAIErrorType(json: Record<string, unknown> | undefined): string | null {
  const error = json?.error as { type?: string; code?: string | null } | undefined;
  return error ? errorTypeOfOpenAI(error.type, error.code) : null;
}

/** OpenAI error types mapped onto the error codes observations use for every provider. */
export function errorTypeOfOpenAI(type: string | undefined, code?: string | null): string {
  if (type === 'rate_limit_error' || code === 'rate_limit_exceeded') return 'ThrottlingException';
  if (type === 'invalid_request_error') return 'ValidationException';
  if (type === 'timeout' || code === 'timeout') return 'ModelTimeoutException';
  if (type === 'service_unavailable' || code === 'service_unavailable') return 'ServiceUnavailableException';
  return 'InternalServerException';
}

/** The client side of Chat Completions: canonical answers as completion JSON and SSE chunks. */
export function chatClientCodec(model: string, id: string, includeUsage: boolean): ClientCodec {
  const created = Math.floor(Date.now() / 1000);
  const base = { id, object: 'chat.completion.chunk', created, model };
  return {
    streamContentType: 'text/event-stream',
    renderResult(result: ChatResult) {
      const body = {
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: result.text || !result.toolCalls.length ? result.text : null,
              ...(result.toolCalls.length ? { tool_calls: result.toolCalls.map(functionCallOf) } : {}),
            },
            finish_reason: STOP_TO_FINISH[result.stopReason],
            logprobs: null,
          },
        ],
        usage: openAIUsageOf(result.usage),
      };
      return { body: JSON.stringify(body), contentType: 'application/json' };
    },
    encoder() {
      let started = false;
      const line = (payload: unknown): string => `data: ${JSON.stringify(payload)}\n\n`;
      return {
        encode(events) {
          let out = '';
          for (const event of events) {
            if (!started && event.type !== 'error') {
              out += line({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] });
              started = true;
            }
            if (event.type === 'text')
              out += line({ ...base, choices: [{ index: 0, delta: { content: event.text }, finish_reason: null }] });
            else if (event.type === 'tool_start' || event.type === 'tool_delta')
              out += line({ ...base, choices: [{ index: 0, delta: { tool_calls: [toolCallDelta(event)] }, finish_reason: null }] });
            else if (event.type === 'stop')
              out += line({ ...base, choices: [{ index: 0, delta: {}, finish_reason: STOP_TO_FINISH[event.reason] }] });
            else if (event.type === 'usage' && includeUsage) {
              out += line({ ...base, choices: [], usage: openAIUsageOf(event) });
            } else if (event.type === 'error')
              out += sseErrorEvent({ type: event.errorType, code: event.code ?? null, message: event.message });
            else if (event.type === 'done') out += 'data: [DONE]\n\n';
          }
          return out ? utf8(out) : null;
        },
      };
    },
  };
}

/** A canonical tool call as a Chat Completions `tool_calls` entry. */
function functionCallOf(call: ToolCall): Record<string, unknown> {
  return { id: call.id, type: 'function', function: { name: call.name, arguments: JSON.stringify(call.input) } };
}

/** A tool call's start (id, name, empty arguments) or an arguments piece, as a chunk's `delta.tool_calls` entry. */
function toolCallDelta(event: Extract<ChatEvent, { type: 'tool_start' | 'tool_delta' }>): Record<string, unknown> {
  if (event.type === 'tool_start')
    return { index: event.index, id: event.id, type: 'function', function: { name: event.name, arguments: '' } };
  return { index: event.index, function: { arguments: event.json } };
}

/** A Chat Completions stream's error event, which OpenAI SDKs raise as an APIError. */
export function sseErrorEvent(error: ClientError): string {
  return `data: ${JSON.stringify({ error: { message: error.message, type: openAITypeOf(error.type), code: error.code } })}\n\n`;
}

/** The OpenAI error type a client expects for one of our error types. */
function openAITypeOf(errorType: string): string {
  if (errorType === 'ThrottlingException') return 'rate_limit_error';
  if (errorType === 'ValidationException') return 'invalid_request_error';
  if (errorType === 'ModelTimeoutException') return 'timeout';
  return 'api_error';
}
