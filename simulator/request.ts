import { cachePointsOf, type CachePoint, type PromptPiece } from './prompt-cache.ts';
import type { SimGuardrail, SimTool } from './tools.ts';
import type { ChatMessage } from './writer.ts';

/** A Converse or Anthropic-messages request, reduced to what the simulator uses. */
export interface SimRequest {
  messages: ChatMessage[];
  system: string;
  /** The caller's output cap, if any. */
  maxTokens: number | undefined;
  /** Intent from the body (Converse requestMetadata.intent), if any. */
  intent: string | undefined;
  inputTokens: number;
  /** Prompt-cache points (Converse `cachePoint` blocks, Anthropic `cache_control`), in order; absent when none. */
  cachePoints?: CachePoint[];
  /** Set once the prompt cache has split the input: the reads and writes, which `inputTokens` then excludes. */
  cache?: { cacheReadInputTokens: number; cacheWriteInputTokens: number };
  /** Tools offered to the model (none: empty). */
  tools: SimTool[];
  /** The last message carries tool results: the model answers them in text. */
  lastTurnIsToolResult: boolean;
  /** The guardrail a Converse request names, or null. */
  guardrail: SimGuardrail | null;
}

/** A request the simulator refuses, with a Bedrock-style validation message. */
export interface Invalid {
  invalid: string;
}

type Json = Record<string, unknown>;

/** Reads a Converse / ConverseStream request body. */
export function parseConverseRequest(body: unknown): SimRequest | Invalid {
  if (!isObject(body)) return { invalid: 'Malformed input request, please reformat your input and try again.' };
  const messages = readMessages(body.messages, converseBlockText);
  if (typeof messages === 'string') return { invalid: messages };
  const system = Array.isArray(body.system)
    ? body.system
        .filter((b) => !isCachePointBlock(b))
        .map(converseBlockText)
        .join('\n')
    : '';
  const config = isObject(body.inferenceConfig) ? body.inferenceConfig : {};
  const maxTokens = config.maxTokens;
  if (maxTokens !== undefined && !isPositiveInt(maxTokens)) {
    return {
      invalid:
        "1 validation error detected: Value at 'inferenceConfig.maxTokens' failed to satisfy constraint: Member must have value greater than or equal to 1",
    };
  }
  const metadata = isObject(body.requestMetadata) ? body.requestMetadata : {};
  const intent = typeof metadata.intent === 'string' && metadata.intent ? metadata.intent : undefined;
  const last = (body.messages as Json[]).at(-1)?.content;
  const lastTurnIsToolResult = Array.isArray(last) && last.some((b) => isObject(b) && b.toolResult !== undefined);
  const request: SimRequest = {
    messages,
    system,
    maxTokens,
    intent,
    inputTokens: estimateTokens(system, messages),
    tools: converseTools(body.toolConfig),
    lastTurnIsToolResult,
    guardrail: guardrailOf(body.guardrailConfig),
  };
  return withCachePoints(request, body, converseBlockPieces);
}

function converseTools(config: unknown): SimTool[] {
  if (!isObject(config) || !Array.isArray(config.tools)) return [];
  return config.tools.flatMap((tool) => {
    const spec = isObject(tool) && isObject(tool.toolSpec) ? tool.toolSpec : undefined;
    if (!spec || typeof spec.name !== 'string') return [];
    const json = isObject(spec.inputSchema) && isObject(spec.inputSchema.json) ? spec.inputSchema.json : {};
    return [{ name: spec.name, schema: json }];
  });
}

function guardrailOf(config: unknown): SimGuardrail | null {
  if (!isObject(config) || typeof config.guardrailIdentifier !== 'string') return null;
  const trace = config.trace === 'enabled' || config.trace === 'enabled_full';
  return { identifier: config.guardrailIdentifier, version: String(config.guardrailVersion ?? 'DRAFT'), trace };
}

/** Reads an InvokeModel body in the Anthropic messages format. */
export function parseAnthropicRequest(body: unknown): SimRequest | Invalid {
  if (!isObject(body)) return { invalid: 'Malformed input request, please reformat your input and try again.' };
  for (const key of ['anthropic_version', 'max_tokens', 'messages']) {
    if (body[key] === undefined)
      return { invalid: `Malformed input request: #: required key [${key}] not found, please reformat your input and try again.` };
  }
  if (!isPositiveInt(body.max_tokens))
    return {
      invalid: 'Malformed input request: #/max_tokens: expected an integer of at least 1, please reformat your input and try again.',
    };
  const messages = readMessages(body.messages, anthropicBlockText);
  if (typeof messages === 'string') return { invalid: messages };
  const system =
    typeof body.system === 'string' ? body.system : Array.isArray(body.system) ? body.system.map(anthropicBlockText).join('\n') : '';
  const request: SimRequest = {
    messages,
    system,
    maxTokens: body.max_tokens,
    intent: undefined,
    inputTokens: estimateTokens(system, messages),
    tools: [],
    lastTurnIsToolResult: false,
    guardrail: null,
  };
  return withCachePoints(request, body, anthropicBlockPieces);
}

/** The pieces of one content block: its text, then a cache point when it is one or carries one. */
type BlockPieces = (role: string, block: unknown) => PromptPiece[];

/**
 * Adds the cache points of a Converse or Anthropic body (system blocks first, then each message's content) to its
 * request; a body without any keeps its request unchanged.
 */
export function withCachePoints<T extends SimRequest>(request: T, body: Json, blockPieces: BlockPieces): T {
  const pieces: PromptPiece[] = [];
  const add = (role: string, content: unknown): void => {
    if (typeof content === 'string') pieces.push({ role, text: content });
    else if (Array.isArray(content)) for (const block of content) pieces.push(...blockPieces(role, block));
  };
  add('system', body.system);
  if (Array.isArray(body.messages)) for (const m of body.messages) if (isObject(m)) add(String(m.role), m.content);
  if (!pieces.some((p) => 'cachePoint' in p)) return request;
  return { ...request, cachePoints: cachePointsOf(pieces) };
}

function converseBlockPieces(role: string, block: unknown): PromptPiece[] {
  if (isCachePointBlock(block)) return [{ cachePoint: (block.cachePoint as Json).ttl as string | undefined }];
  return [{ role, text: converseBlockText(block) }];
}

/** An Anthropic (or OpenAI-compatible) block's text, then a cache point when it carries `cache_control`. */
export function anthropicBlockPieces(role: string, block: unknown): PromptPiece[] {
  const text: PromptPiece = { role, text: anthropicBlockText(block) };
  if (!isObject(block) || !isObject(block.cache_control)) return [text];
  return [text, { cachePoint: block.cache_control.ttl as string | undefined }];
}

function isCachePointBlock(block: unknown): block is Json {
  return isObject(block) && isObject(block.cachePoint);
}

/** Input tokens, estimated from the text: a quarter of the characters, rounded up, at least 1. */
export function estimateTokens(system: string, messages: readonly ChatMessage[]): number {
  let chars = system.length;
  for (const m of messages) chars += m.text.length;
  return Math.max(1, Math.ceil(chars / 4));
}

function readMessages(value: unknown, blockText: (block: unknown) => string): ChatMessage[] | string {
  if (value === undefined || value === null) {
    return "1 validation error detected: Value null at 'messages' failed to satisfy constraint: Member must not be null";
  }
  if (!Array.isArray(value) || value.length === 0)
    return 'A conversation must start with a user message. Try again with a conversation that starts with a user message.';
  const out: ChatMessage[] = [];
  for (const m of value) {
    if (!isObject(m) || (m.role !== 'user' && m.role !== 'assistant')) {
      return "Malformed input request: each message needs a role of 'user' or 'assistant', please reformat your input and try again.";
    }
    const content = m.content;
    const blocks = Array.isArray(content) ? content.filter((b) => !isCachePointBlock(b)) : undefined;
    const text = typeof content === 'string' ? content : blocks ? blocks.map(blockText).join('\n') : undefined;
    if (text === undefined)
      return 'Malformed input request: message content must be a list of content blocks, please reformat your input and try again.';
    out.push({ role: m.role, text });
  }
  if (out[0]!.role !== 'user')
    return 'A conversation must start with a user message. Try again with a conversation that starts with a user message.';
  return out;
}

function converseBlockText(block: unknown): string {
  if (!isObject(block)) return '';
  if (typeof block.text === 'string') return block.text;
  const result = isObject(block.toolResult) && Array.isArray(block.toolResult.content) ? block.toolResult.content : [];
  return result.map((c) => (isObject(c) && typeof c.text === 'string' ? c.text : isObject(c) ? JSON.stringify(c.json ?? '') : '')).join('');
}

function anthropicBlockText(block: unknown): string {
  if (typeof block === 'string') return block;
  return isObject(block) && typeof block.text === 'string' ? block.text : '';
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPositiveInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1;
}
