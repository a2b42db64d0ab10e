import { z } from 'zod';
import type { GatewayConfig, ModelConfig } from '../../../schema/config.ts';
import { withFields } from '../../../lib/fields.ts';
import { GatewayError } from '../../errors.ts';
import { parseJsonBody } from '../../json.ts';

const Part = z.looseObject({ type: z.string(), text: z.string().optional() });
const Message = z.looseObject({
  role: z.string({ error: 'role is required' }),
  content: z.union([z.string(), z.array(Part), z.null()]).optional(),
  tool_calls: z.array(z.unknown(), { error: 'tool_calls must be an array' }).nullish(),
  tool_call_id: z.string().nullish(),
});

/** Chat Completions body: what routing, translation and configuration need; the rest passes through. */
export const ChatBody = z.looseObject({
  model: z.string({ error: 'model is required' }).min(1, 'model must not be empty'),
  messages: z.array(Message, { error: 'messages is required and must be an array' }).min(1, 'messages must not be empty'),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
  max_tokens: z.number().int().positive().nullish(),
  max_completion_tokens: z.number().int().positive().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  stop: z.union([z.string(), z.array(z.string())]).nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
  user: z.string().nullish(),
  tools: z.array(z.unknown(), { error: 'tools must be an array' }).nullish(),
  tool_choice: z
    .union([z.enum(['none', 'auto', 'required']), z.looseObject({ type: z.literal('function') })], {
      error: 'tool_choice must be "none", "auto", "required" or {type: "function", function: {name}}',
    })
    .nullish(),
  functions: z.unknown().optional(),
  function_call: z.unknown().optional(),
});
export type ChatBody = z.infer<typeof ChatBody>;

/** Parses and checks a Chat Completions body; 400 naming the field otherwise. */
export function parseChatBody(text: string): ChatBody {
  const json = parseJsonBody(text);
  const plain = plainChatBody(json);
  if (plain) return plain;
  const parsed = ChatBody.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new GatewayError(
      'invalid_request',
      `${issue?.path.length ? issue.path.join('.') : 'body'}: ${issue?.message ?? 'invalid request body'}`,
    );
  }
  return parsed.data;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !Object.hasOwn(v, '__proto__');
const nullish = (v: unknown): v is null | undefined => v === undefined || v === null;
const stringOrNullish = (v: unknown): boolean => nullish(v) || typeof v === 'string';
const positiveIntOrNullish = (v: unknown): boolean => nullish(v) || (Number.isSafeInteger(v) && (v as number) > 0);
const numberInOrNullish = (v: unknown, min: number, max: number): boolean => nullish(v) || (typeof v === 'number' && v >= min && v <= max);
const TOOL_CHOICES = new Set(['none', 'auto', 'required']);

function plainMessage(m: unknown): boolean {
  if (!isObject(m) || typeof m.role !== 'string') return false;
  const content = m.content;
  if (Array.isArray(content)) {
    for (const part of content) {
      if (!isObject(part) || typeof part.type !== 'string' || (part.text !== undefined && typeof part.text !== 'string')) return false;
    }
  } else if (!stringOrNullish(content)) return false;
  return (nullish(m.tool_calls) || Array.isArray(m.tool_calls)) && stringOrNullish(m.tool_call_id);
}

/**
 * The parsed body (`JSON.parse` output) itself when `ChatBody` certainly accepts it, undefined when zod must decide
 * (and name what is wrong). Stricter than the schema, never looser (a test compares the two on random bodies): it spares a request
 * zod's copy of the body and its checks, about 5-9 µs (`npx tsx bench/stream-core-cpu.ts . chat`). Unlike zod's copy,
 * the body keeps the client's key order. Objects with an own `__proto__` key are left to zod.
 */
export function plainChatBody(body: unknown): ChatBody | undefined {
  if (!isObject(body) || typeof body.model !== 'string' || body.model.length === 0) return undefined;
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0 || !messages.every(plainMessage)) return undefined;
  const options = body.stream_options;
  const stop = body.stop;
  const metadata = body.metadata;
  const choice = body.tool_choice;
  const plain =
    (nullish(body.stream) || typeof body.stream === 'boolean') &&
    (nullish(options) || (isObject(options) && (nullish(options.include_usage) || typeof options.include_usage === 'boolean'))) &&
    positiveIntOrNullish(body.max_tokens) &&
    positiveIntOrNullish(body.max_completion_tokens) &&
    numberInOrNullish(body.temperature, 0, 2) &&
    numberInOrNullish(body.top_p, 0, 1) &&
    (stringOrNullish(stop) || (Array.isArray(stop) && stop.every((s) => typeof s === 'string'))) &&
    (nullish(metadata) || (isObject(metadata) && Object.values(metadata).every((v) => typeof v === 'string'))) &&
    stringOrNullish(body.user) &&
    (nullish(body.tools) || Array.isArray(body.tools)) &&
    (nullish(choice) || (typeof choice === 'string' && TOOL_CHOICES.has(choice)) || (isObject(choice) && choice.type === 'function'));
  return plain ? (body as ChatBody) : undefined;
}

/** Intent and session id: `metadata.intent` / `metadata.session_id` (or `user`), else the headers. */
export function chatRoutingInputs(body: ChatBody, headers: Headers): { intent: string | null; sessionId: string | null } {
  return {
    intent: body.metadata?.intent || headers.get('x-intent') || null,
    sessionId: body.metadata?.session_id || body.user || headers.get('x-session-id') || null,
  };
}

/**
 * Applies a configuration to a Chat Completions body sent to an OpenAI-compatible upstream: its model
 * and settings replace the client's, its system prompt goes first, and a stream always asks for usage.
 */
export function applyConfigToChatBody(body: ChatBody, config: ModelConfig, cfg: GatewayConfig, model: string): Record<string, unknown> {
  const prompt = config.systemPromptVersion ? cfg.systemPrompts[config.systemPromptVersion] : undefined;
  const out: Record<string, unknown> = withFields(body, { model, max_tokens: config.maxTokens });
  // Deleted only when present: a deletion leaves the object slower to serialise.
  if (out.max_completion_tokens !== undefined) delete out.max_completion_tokens;
  if (config.temperature !== undefined) out.temperature = config.temperature;
  if (config.topP !== undefined) out.top_p = config.topP;
  if (prompt) out.messages = [{ role: 'system', content: prompt }, ...body.messages];
  if (body.stream) out.stream_options = withFields(body.stream_options ?? {}, { include_usage: true });
  return out;
}
