import { anthropicBlockPieces, estimateTokens, withCachePoints, type SimRequest } from './request.ts';
import type { SimTool } from './tools.ts';
import type { ChatMessage } from './writer.ts';

/** A Chat Completions request, reduced to what the simulator uses. */
export interface ChatRequest extends SimRequest {
  model: string;
  stream: boolean;
  /** `stream_options.include_usage`: send a last chunk with `choices: []` and the usage. */
  includeUsage: boolean;
}

/** A request the simulator refuses, with the field it names (OpenAI's `param`). */
export interface InvalidChat {
  invalid: string;
  param: string | null;
}

type Json = Record<string, unknown>;

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool']);

/** Reads a `POST /v1/chat/completions` body, checking it the way an OpenAI-compatible server does. */
export function parseChatRequest(body: unknown): ChatRequest | InvalidChat {
  if (!isObject(body)) return invalid('The request body must be a JSON object.', null);
  if (typeof body.model !== 'string' || body.model === '') return invalid('you must provide a model parameter', 'model');
  const read = readMessages(body.messages);
  if ('invalid' in read) return read;
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  const maxParam = body.max_completion_tokens !== undefined ? 'max_completion_tokens' : 'max_tokens';
  if (maxTokens !== undefined && maxTokens !== null && !isPositiveInt(maxTokens))
    return invalid(`Invalid '${maxParam}': expected an integer of at least 1.`, maxParam);
  const problem = checkSampling(body);
  if (problem) return problem;
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean')
    return invalid("Invalid type for 'stream': expected a boolean.", 'stream');
  const options = body.stream_options;
  if (options !== undefined && options !== null && !isObject(options))
    return invalid("Invalid type for 'stream_options': expected an object.", 'stream_options');
  if (options && !body.stream) return invalid("The 'stream_options' parameter is only allowed when 'stream' is enabled.", 'stream_options');
  const metadata = body.metadata;
  if (metadata !== undefined && metadata !== null && !isObject(metadata))
    return invalid("Invalid type for 'metadata': expected an object.", 'metadata');
  const intent = isObject(metadata) && typeof metadata.intent === 'string' && metadata.intent ? metadata.intent : undefined;
  const { system, messages } = read;
  const last = (body.messages as Json[]).at(-1);
  const request: ChatRequest = {
    tools: body.tool_choice === 'none' ? [] : chatTools(body.tools),
    lastTurnIsToolResult: last?.role === 'tool',
    guardrail: null,
    model: body.model,
    messages,
    system,
    maxTokens: maxTokens ?? undefined,
    intent,
    inputTokens: estimateTokens(system, messages),
    stream: body.stream === true,
    includeUsage: isObject(options) && options.include_usage === true,
  };
  // Content parts may carry `cache_control`, as OpenAI-compatible servers in front of Anthropic models accept.
  return withCachePoints(request, { messages: body.messages }, anthropicBlockPieces);
}

function chatTools(tools: unknown): SimTool[] {
  if (!Array.isArray(tools)) return [];
  return tools.flatMap((tool) => {
    const fn = isObject(tool) && isObject(tool.function) ? tool.function : undefined;
    if (!fn || typeof fn.name !== 'string') return [];
    return [{ name: fn.name, schema: isObject(fn.parameters) ? fn.parameters : {} }];
  });
}

function readMessages(value: unknown): { system: string; messages: ChatMessage[] } | InvalidChat {
  if (value === undefined || value === null) return invalid("Missing required parameter: 'messages'.", 'messages');
  if (!Array.isArray(value)) return invalid("Invalid type for 'messages': expected an array.", 'messages');
  if (value.length === 0) return invalid("Invalid 'messages': empty array. Expected an array with minimum length 1.", 'messages');
  const system: string[] = [];
  const messages: ChatMessage[] = [];
  for (const [i, m] of value.entries()) {
    if (!isObject(m) || typeof m.role !== 'string' || !ROLES.has(m.role)) {
      return invalid(
        `Invalid value for 'messages[${i}].role': expected one of system, developer, user, assistant or tool.`,
        `messages[${i}].role`,
      );
    }
    const text = contentText(m.content);
    if (text === undefined && !(m.role === 'assistant' && (m.content === null || m.content === undefined))) {
      return invalid(
        `Invalid type for 'messages[${i}].content': expected a string or an array of content parts.`,
        `messages[${i}].content`,
      );
    }
    if (m.role === 'system' || m.role === 'developer') system.push(text ?? '');
    else messages.push({ role: m.role === 'tool' ? 'user' : m.role, text: text ?? '' });
  }
  if (messages.length === 0) return invalid("Invalid 'messages': at least one user message is required.", 'messages');
  return { system: system.join('\n'), messages };
}

function contentText(content: unknown): string | undefined {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return undefined;
  const parts: string[] = [];
  for (const part of content) {
    if (!isObject(part) || typeof part.type !== 'string') return undefined;
    if (part.type === 'text' && typeof part.text === 'string') parts.push(part.text);
  }
  return parts.join('\n');
}

function checkSampling(body: Json): InvalidChat | null {
  const ranges: [string, number, number][] = [
    ['temperature', 0, 2],
    ['top_p', 0, 1],
  ];
  for (const [name, min, max] of ranges) {
    const value = body[name];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'number' || !(value >= min && value <= max))
      return invalid(`Invalid '${name}': expected a number between ${min} and ${max}.`, name);
  }
  const stop = body.stop;
  const stops = typeof stop === 'string' ? [stop] : stop;
  if (stops !== undefined && stops !== null && !(Array.isArray(stops) && stops.length <= 4 && stops.every((s) => typeof s === 'string'))) {
    return invalid("Invalid 'stop': expected a string or an array of at most 4 strings.", 'stop');
  }
  if (body.n !== undefined && body.n !== null && body.n !== 1) return invalid("Invalid 'n': this server only supports n = 1.", 'n');
  if (body.user !== undefined && body.user !== null && typeof body.user !== 'string')
    return invalid("Invalid type for 'user': expected a string.", 'user');
  return null;
}

function invalid(message: string, param: string | null): InvalidChat {
  return { invalid: message, param };
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPositiveInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1;
}
