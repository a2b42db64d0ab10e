import type { GatewayConfig, ModelConfig } from '../schema/config.ts';
import type { StreamTally } from './stream/interface.ts';
import type { WholeReading } from './stream/whole.ts';

/** A tool the model may call: its name, what it does, and the JSON schema of its input. */
export interface ToolSpec {
  name: string;
  description?: string;
  /** JSON schema of the tool's input (an object schema). */
  parameters: Record<string, unknown>;
}

/**
 * How the model may use the tools: as it likes, at least one of them, or the named one. Chat Completions'
 * `none` has no Converse twin; it is translated by leaving the tools out.
 */
export type ToolChoice = { type: 'auto' } | { type: 'any' } | { type: 'tool'; name: string };

/** A tool call the model made: its id, the tool's name and its input (a JSON object). */
export interface ToolCall {
  id: string;
  name: string;
  input: Record<string, unknown>;
}

/** One piece of a message: text, a tool call (assistant) or a tool's result (user). */
export type ContentPart =
  | { type: 'text'; text: string }
  | ({ type: 'tool_call' } & ToolCall)
  | { type: 'tool_result'; toolCallId: string; text: string; isError?: boolean };

/** One turn of a conversation. */
export interface ChatMessage {
  role: 'user' | 'assistant';
  content: ContentPart[];
  /** A prompt-cache point after this message (Converse `cachePoint`, a Chat part's `cache_control`). */
  cachePoint?: boolean;
}

/** Protocol-neutral chat call: what both wire formats (Converse, Chat Completions) can say. */
export interface ChatRequest {
  system: string[];
  /** A prompt-cache point after the system prompt (Converse `cachePoint`, a Chat part's `cache_control`). */
  systemCachePoint?: boolean;
  messages: ChatMessage[];
  tools?: ToolSpec[];
  toolChoice?: ToolChoice;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
  /** Routing metadata (intent, session id), passed on where the target protocol has a place for it. */
  metadata?: Record<string, string>;
}

export type StopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'content_filtered' | 'tool_use';

/**
 * Token usage in canonical form: `inputTokens` excludes prompt-cache reads and writes (Bedrock's convention), which
 * are counted apart when the upstream reports them.
 */
export interface ChatUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadInputTokens?: number | undefined;
  cacheWriteInputTokens?: number | undefined;
}

/** A whole non-streamed answer. */
export interface ChatResult {
  text: string;
  toolCalls: ToolCall[];
  stopReason: StopReason;
  /** The stop reason as recorded on the observation (Converse's names; see `stop-reasons.ts`). */
  recordedStopReason: string | null;
  usage: ChatUsage;
}

/** One step of a streamed answer. Tool calls are numbered from 0 in the order they start (`index`). */
export type ChatEvent =
  | { type: 'text'; text: string }
  | { type: 'tool_start'; index: number; id: string; name: string }
  /** A piece of a tool call's input as JSON text; the pieces of one call joined in order are its input. */
  | { type: 'tool_delta'; index: number; json: string }
  | { type: 'stop'; reason: StopReason; recorded: string }
  | ({ type: 'usage' } & ChatUsage)
  | { type: 'error'; errorType: string; message: string; code?: string | null }
  /** The upstream's closing unit went by: the answer is whole. */
  | { type: 'done' };

/**
 * The upstream side of a wire protocol: encodes canonical calls, decodes answers into canonical form. Whole
 * answers are read with its `decode`/`errorType` (a `WholeReading`); stream decoders throw `MalformedUpstream`
 * at bytes that are no valid answer, and emit `done` once the answer's closing unit went by.
 */
export interface UpstreamCodec extends WholeReading<ChatResult> {
  /** Operation to call upstream for a streamed or non-streamed answer. */
  operation(stream: boolean): 'converse' | 'converse-stream' | 'chat-completions' | 'chat-completions-stream';
  encodeRequest(request: ChatRequest, model: string, stream: boolean): Uint8Array<ArrayBuffer>;
  /** Turns stream bytes into events as they arrive; `end` throws when the stream stopped inside a unit. */
  decoder(): { push(chunk: Uint8Array): ChatEvent[]; end(): ChatEvent[] };
}

/** The client side of a wire protocol: renders canonical answers in the client's format. */
export interface ClientCodec {
  renderResult(result: ChatResult): { body: string; contentType: string };
  streamContentType: string;
  /** Encodes events to bytes for the client; null when no event has a wire form. */
  encoder(): { encode(events: ChatEvent[]): Uint8Array | null };
}

/** Reports canonical events to the stream core's tally (content, usage, stop reason, upstream error, completion). */
export function tallyEvents(events: ChatEvent[], tally: StreamTally): void {
  for (const event of events) {
    if (event.type === 'text' || event.type === 'tool_start') tally.content();
    else if (event.type === 'usage')
      tally.usage(event.inputTokens, event.outputTokens, { read: event.cacheReadInputTokens, write: event.cacheWriteInputTokens });
    else if (event.type === 'stop') tally.stopReason(event.recorded);
    else if (event.type === 'error') tally.error(event.errorType);
    else if (event.type === 'done') tally.complete();
  }
}

/** The text of a message's text parts, joined. */
export function textOf(message: ChatMessage): string {
  return message.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
}

/** True when a conversation already holds tool calls or tool results. */
export function hasToolTurns(messages: ChatMessage[]): boolean {
  return messages.some((m) => m.content.some((part) => part.type !== 'text'));
}

/** Applies a configuration to a canonical call: its settings replace the client's; its system prompt goes first. */
export function applyConfigToChat(request: ChatRequest, config: ModelConfig, cfg: GatewayConfig): ChatRequest {
  const prompt = config.systemPromptVersion ? cfg.systemPrompts[config.systemPromptVersion] : undefined;
  return {
    ...request,
    system: prompt ? [prompt, ...request.system] : request.system,
    maxTokens: config.maxTokens,
    temperature: config.temperature ?? request.temperature,
    topP: config.topP ?? request.topP,
  };
}
