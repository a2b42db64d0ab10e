import type { ChatEvent, ChatRequest, ChatResult, ChatUsage, ClientCodec, StopReason, UpstreamCodec } from '../../canonical.ts';
import { GatewayError } from '../../errors.ts';
import { MalformedUpstream, type ClientError } from '../../stream/interface.ts';
import { SseSplitter, type SseEvent } from './sse.ts';
import type { ChatBody } from './request.ts';

const encoder = new TextEncoder();

const FINISH_TO_STOP: Record<string, StopReason> = {
  stop: 'end_turn',
  length: 'max_tokens',
  content_filter: 'content_filtered',
  tool_calls: 'tool_use',
  function_call: 'tool_use',
};
const STOP_TO_FINISH: Record<StopReason, string> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  content_filtered: 'content_filter',
  tool_use: 'tool_calls',
};

/** Chat Completions body to the canonical call; tool calls and non-text parts are refused. */
export function chatToCanonical(body: ChatBody): ChatRequest {
  if (body.tools?.length || body.functions)
    throw new GatewayError(
      'invalid_request',
      "tools cannot be translated for this configuration's provider; route tool calls to an OpenAI-compatible configuration",
    );
  const system: string[] = [];
  const messages: ChatRequest['messages'] = [];
  let systemCachePoint = false;
  body.messages.forEach((m, i) => {
    const text = textOf(m.content, i);
    const cachePoint = Array.isArray(m.content) && m.content.some((part) => part.cache_control != null);
    if (m.role === 'system' || m.role === 'developer') {
      system.push(text);
      systemCachePoint ||= cachePoint;
    } else if (m.role === 'user' || m.role === 'assistant') messages.push({ role: m.role, text, ...(cachePoint ? { cachePoint } : {}) });
    else throw new GatewayError('invalid_request', `messages.${i}.role "${m.role}" cannot be translated for this configuration's provider`);
  });
  const stop = body.stop === undefined || body.stop === null ? undefined : Array.isArray(body.stop) ? body.stop : [body.stop];
  return {
    system,
    ...(systemCachePoint ? { systemCachePoint } : {}),
    messages,
    maxTokens: body.max_completion_tokens ?? body.max_tokens ?? undefined,
    temperature: body.temperature ?? undefined,
    topP: body.top_p ?? undefined,
    stop,
    metadata: body.metadata ?? undefined,
  };
}

function textOf(content: ChatBody['messages'][number]['content'], i: number): string {
  if (typeof content === 'string') return content;
  if (content === null || content === undefined) return '';
  return content
    .map((part, j) => {
      if (part.type !== 'text' || typeof part.text !== 'string')
        throw new GatewayError(
          'invalid_request',
          `messages.${i}.content.${j}: "${part.type}" parts cannot be translated for this configuration's provider; only text is`,
        );
      return part.text;
    })
    .join('');
}

/** The upstream side of Chat Completions. Streams always ask for usage so metering never misses it. */
export const chatUpstreamCodec: UpstreamCodec = {
  operation: (stream) => (stream ? 'chat-completions-stream' : 'chat-completions'),
  encodeRequest(request, model, stream) {
    const body: Record<string, unknown> = {
      model,
      messages: [
        ...request.system.map((text, i) => ({
          role: 'system',
          content: request.systemCachePoint && i === request.system.length - 1 ? cachedParts(text) : text,
        })),
        ...request.messages.map((m) => ({ role: m.role, content: m.cachePoint ? cachedParts(m.text) : m.text })),
      ],
    };
    if (request.maxTokens !== undefined) body.max_tokens = request.maxTokens;
    if (request.temperature !== undefined) body.temperature = request.temperature;
    if (request.topP !== undefined) body.top_p = request.topP;
    if (request.stop?.length) body.stop = request.stop;
    if (request.metadata) body.metadata = request.metadata;
    if (stream) Object.assign(body, { stream: true, stream_options: { include_usage: true } });
    return encoder.encode(JSON.stringify(body));
  },
  decode(json) {
    const answer = json as ChatJson;
    const choice = answer.choices?.[0];
    return {
      text: choice?.message?.content ?? '',
      stopReason: FINISH_TO_STOP[choice?.finish_reason ?? 'stop'] ?? 'end_turn',
      usage: chatUsageOf(answer.usage),
    };
  },
  errorType: openAIErrorType,
  decoder() {
    const splitter = new SseSplitter();
    const eventsOf = (events: SseEvent[]): ChatEvent[] => events.flatMap((event) => chunkEvents(event.data));
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

/** Chat Completions `usage`: `prompt_tokens` includes the cached ones (`prompt_tokens_details.cached_tokens`). */
interface OpenAIUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number | null } | null;
}

/** A text part marked as a prompt-cache point (the `cache_control` OpenAI-compatible servers take from Anthropic). */
function cachedParts(text: string): unknown[] {
  return [{ type: 'text', text, cache_control: { type: 'ephemeral' } }];
}

/**
 * Chat Completions usage in canonical form: the cached tokens (a cache read) move out of the input tokens. An
 * answer without `prompt_tokens_details` says nothing about the cache.
 */
export function chatUsageOf(usage: OpenAIUsage | null | undefined): ChatUsage {
  const prompt = usage?.prompt_tokens ?? 0;
  const cached = usage?.prompt_tokens_details?.cached_tokens;
  const out: ChatUsage = { inputTokens: prompt, outputTokens: usage?.completion_tokens ?? 0 };
  if (typeof cached === 'number' && cached >= 0) {
    out.inputTokens = Math.max(0, prompt - cached);
    out.cacheReadInputTokens = cached;
  }
  return out;
}

/**
 * Canonical usage as Chat Completions says it: cache reads and writes are part of `prompt_tokens`, reads are
 * `prompt_tokens_details.cached_tokens` (present when the upstream reported cache counts); OpenAI has no field for writes.
 */
function openAIUsageOf(usage: ChatUsage): OpenAIUsage {
  const read = usage.cacheReadInputTokens;
  const write = usage.cacheWriteInputTokens;
  const prompt = usage.inputTokens + (read ?? 0) + (write ?? 0);
  const out: OpenAIUsage = { prompt_tokens: prompt, completion_tokens: usage.outputTokens, total_tokens: prompt + usage.outputTokens };
  if (read !== undefined || write !== undefined) out.prompt_tokens_details = { cached_tokens: read ?? 0 };
  return out;
}

interface ChatJson {
  choices?: { message?: { content?: string | null }; delta?: { content?: string | null }; finish_reason?: string | null }[];
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
  if (choice?.finish_reason) events.push({ type: 'stop', reason: FINISH_TO_STOP[choice.finish_reason] ?? 'end_turn' });
  if (json.usage) events.push({ type: 'usage', ...chatUsageOf(json.usage) });
  return events;
}

const DONE: ChatEvent = { type: 'done' };

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
            message: { role: 'assistant', content: result.text },
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
            else if (event.type === 'stop')
              out += line({ ...base, choices: [{ index: 0, delta: {}, finish_reason: STOP_TO_FINISH[event.reason] }] });
            else if (event.type === 'usage' && includeUsage) {
              out += line({ ...base, choices: [], usage: openAIUsageOf(event) });
            } else if (event.type === 'error')
              out += sseErrorEvent({ type: event.errorType, code: event.code ?? null, message: event.message });
            else if (event.type === 'done') out += 'data: [DONE]\n\n';
          }
          return out ? encoder.encode(out) : null;
        },
      };
    },
  };
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
