import {
  hasToolTurns,
  textOf,
  type ChatMessage,
  type ChatRequest,
  type ContentPart,
  type ToolChoice,
  type ToolSpec,
} from '../../canonical.ts';
import { GatewayError } from '../../errors.ts';
import type { ChatBody } from './request.ts';
import { utf8 } from '../../../lib/utf8.ts';

const refuse = (message: string): never => {
  throw new GatewayError('invalid_request', message);
};

type Message = ChatBody['messages'][number];
type FunctionCall = { id?: unknown; type?: unknown; function?: { name?: unknown; arguments?: unknown } };

/**
 * Chat Completions body to the canonical call. Tools (`type: function`), `tool_choice`, assistant `tool_calls`
 * and `role: tool` results are translated; consecutive tool results (and a user message right after them)
 * become one user turn, as Converse wants turns to alternate. `tool_choice: "none"` leaves the tools out
 * (Converse has no way to offer tools and forbid them), which is refused for a conversation that already
 * holds tool calls, since Converse needs the tool definitions then. A part's `cache_control` marks a cache point
 * after its message's turn (after the system prompt for system messages). Legacy `functions` and non-text parts are
 * refused.
 */
export function chatToCanonical(body: ChatBody): ChatRequest {
  if (body.functions !== undefined || body.function_call !== undefined)
    refuse("functions and function_call cannot be translated for this configuration's provider; use tools and tool_choice");
  const system: string[] = [];
  const messages: ChatMessage[] = [];
  let systemCachePoint = false;
  body.messages.forEach((m, i) => {
    const cachePoint = Array.isArray(m.content) && m.content.some((part) => part.cache_control != null);
    if (m.role === 'system' || m.role === 'developer') {
      system.push(contentText(m.content, i));
      systemCachePoint ||= cachePoint;
    } else if (m.role === 'user') appendUser(messages, [{ type: 'text', text: contentText(m.content, i) }]);
    else if (m.role === 'assistant') messages.push({ role: 'assistant', content: assistantParts(m, i) });
    else if (m.role === 'tool') {
      if (typeof m.tool_call_id !== 'string' || !m.tool_call_id) refuse(`messages.${i}.tool_call_id is required on a tool message`);
      appendUser(messages, [{ type: 'tool_result', toolCallId: m.tool_call_id as string, text: contentText(m.content, i) }]);
    } else refuse(`messages.${i}.role "${m.role}" cannot be translated for this configuration's provider`);
    if (cachePoint && m.role !== 'system' && m.role !== 'developer') messages.at(-1)!.cachePoint = true;
  });
  const stop = body.stop === undefined || body.stop === null ? undefined : Array.isArray(body.stop) ? body.stop : [body.stop];
  return {
    system,
    ...(systemCachePoint ? { systemCachePoint } : {}),
    messages,
    ...toolsOf(body, messages),
    maxTokens: body.max_completion_tokens ?? body.max_tokens ?? undefined,
    temperature: body.temperature ?? undefined,
    topP: body.top_p ?? undefined,
    stop,
    metadata: body.metadata ?? undefined,
  };
}

/** Adds a user turn; tool results join the user turn before them when it holds tool results, and so does text after them. */
function appendUser(messages: ChatMessage[], parts: ContentPart[]): void {
  const last = messages.at(-1);
  const lastHoldsResults = last?.role === 'user' && last.content.some((p) => p.type === 'tool_result');
  if (last && lastHoldsResults) last.content.push(...parts);
  else messages.push({ role: 'user', content: parts });
}

function assistantParts(m: Message, i: number): ContentPart[] {
  const text = contentText(m.content, i);
  const calls = (m.tool_calls ?? []) as FunctionCall[];
  if (!Array.isArray(calls)) refuse(`messages.${i}.tool_calls must be an array`);
  const parts: ContentPart[] = text || !calls.length ? [{ type: 'text', text }] : [];
  calls.forEach((call, j) => {
    const where = `messages.${i}.tool_calls.${j}`;
    if (call.type !== undefined && call.type !== 'function') refuse(`${where}.type must be function`);
    const name = call.function?.name;
    if (typeof call.id !== 'string' || typeof name !== 'string') refuse(`${where} needs an id and a function.name`);
    parts.push({ type: 'tool_call', id: call.id as string, name: name as string, input: argumentsOf(call.function?.arguments, where) });
  });
  return parts;
}

function argumentsOf(raw: unknown, where: string): Record<string, unknown> {
  if (raw === undefined || raw === null || raw === '') return {};
  let value: unknown;
  try {
    value = typeof raw === 'string' ? JSON.parse(raw) : raw;
  } catch {
    return refuse(`${where}.function.arguments must be a JSON object as a string`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) refuse(`${where}.function.arguments must be a JSON object`);
  return value as Record<string, unknown>;
}

function toolsOf(body: ChatBody, messages: ChatMessage[]): { tools?: ToolSpec[]; toolChoice?: ToolChoice } {
  const raw = body.tools ?? [];
  const choice = body.tool_choice;
  if (choice === 'none') {
    if (hasToolTurns(messages))
      refuse('tool_choice "none" cannot be translated for a conversation that holds tool calls: Converse needs the tools then; use "auto"');
    return {};
  }
  if (!raw.length) {
    if (choice !== undefined && choice !== null && choice !== 'auto') refuse('tool_choice needs tools');
    return {};
  }
  const tools = raw.map((tool, i): ToolSpec => {
    const t = tool as { type?: unknown; function?: { name?: unknown; description?: unknown; parameters?: unknown } };
    if (t.type !== 'function') refuse(`tools.${i}.type must be function (other tool types cannot be translated)`);
    const fn = t.function;
    if (typeof fn?.name !== 'string' || !fn.name) refuse(`tools.${i}.function.name is required`);
    const parameters = fn!.parameters ?? { type: 'object', properties: {} };
    if (typeof parameters !== 'object' || parameters === null || Array.isArray(parameters))
      refuse(`tools.${i}.function.parameters must be a JSON schema object`);
    return {
      name: fn!.name as string,
      ...(typeof fn!.description === 'string' ? { description: fn!.description } : {}),
      parameters: parameters as Record<string, unknown>,
    };
  });
  if (choice === undefined || choice === null || choice === 'auto')
    return { tools, toolChoice: choice === 'auto' ? { type: 'auto' } : undefined };
  if (choice === 'required') return { tools, toolChoice: { type: 'any' } };
  const named = (choice as { function?: { name?: unknown } }).function?.name;
  if (typeof named !== 'string' || !tools.some((t) => t.name === named))
    refuse('tool_choice must be "none", "auto", "required" or {type: "function", function: {name}} naming one of the tools');
  return { tools, toolChoice: { type: 'tool', name: named as string } };
}

function contentText(content: Message['content'], i: number): string {
  if (typeof content === 'string') return content;
  if (content === null || content === undefined) return '';
  return content
    .map((part, j) => {
      if (part.type !== 'text' || typeof part.text !== 'string')
        refuse(`messages.${i}.content.${j}: "${part.type}" parts cannot be translated for this configuration's provider; only text is`);
      return part.text as string;
    })
    .join('');
}

/** The Chat Completions body of a canonical call. Streams always ask for usage so metering never misses it. */
export function encodeChatRequest(request: ChatRequest, model: string, stream: boolean): Uint8Array<ArrayBuffer> {
  const body: Record<string, unknown> = {
    model,
    messages: [
      ...request.system.map((text, i) => ({
        role: 'system',
        content: request.systemCachePoint && i === request.system.length - 1 ? cachedParts(text) : text,
      })),
      ...request.messages.flatMap(chatMessagesOf),
    ],
  };
  if (request.tools?.length) {
    body.tools = request.tools.map((t) => ({
      type: 'function',
      function: { name: t.name, ...(t.description ? { description: t.description } : {}), parameters: t.parameters },
    }));
    const choice = request.toolChoice;
    if (choice)
      body.tool_choice =
        choice.type === 'auto' ? 'auto' : choice.type === 'any' ? 'required' : { type: 'function', function: { name: choice.name } };
  }
  if (request.maxTokens !== undefined) body.max_tokens = request.maxTokens;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.stop?.length) body.stop = request.stop;
  if (request.metadata) body.metadata = request.metadata;
  if (stream) Object.assign(body, { stream: true, stream_options: { include_usage: true } });
  return utf8(JSON.stringify(body));
}

/** A text part marked as a prompt-cache point (the `cache_control` OpenAI-compatible servers take from Anthropic). */
function cachedParts(text: string): unknown[] {
  return [{ type: 'text', text, cache_control: { type: 'ephemeral' } }];
}

/** One canonical turn as Chat messages; a cache point marks the content of the last of them. */
function chatMessagesOf(message: ChatMessage): Record<string, unknown>[] {
  const out = turnMessagesOf(message);
  const last = out.at(-1);
  if (message.cachePoint && last && typeof last.content === 'string') last.content = cachedParts(last.content);
  return out;
}

/** One canonical turn as Chat messages: tool results become `role: tool` messages, then any text as a user message. */
function turnMessagesOf(message: ChatMessage): Record<string, unknown>[] {
  const calls = message.content.flatMap((p) => (p.type === 'tool_call' ? [p] : []));
  const text = textOf(message);
  if (message.role === 'assistant') {
    if (!calls.length) return [{ role: 'assistant', content: text }];
    const toolCalls = calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: JSON.stringify(c.input) } }));
    return [{ role: 'assistant', content: text || null, tool_calls: toolCalls }];
  }
  const results = message.content.flatMap((p) => (p.type === 'tool_result' ? [p] : []));
  const out: Record<string, unknown>[] = results.map((r) => ({ role: 'tool', tool_call_id: r.toolCallId, content: r.text }));
  if (text || !results.length) out.push({ role: 'user', content: text });
  return out;
}
