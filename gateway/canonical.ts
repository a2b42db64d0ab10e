import type { GatewayConfig, ModelConfig } from '../schema/config.ts';

/** Protocol-neutral chat call: what both wire formats (Converse, Chat Completions) can say. */
export interface ChatRequest {
  system: string[];
  messages: { role: 'user' | 'assistant'; text: string }[];
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
  /** Routing metadata (intent, session id), passed on where the target protocol has a place for it. */
  metadata?: Record<string, string>;
}

export type StopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'content_filtered' | 'tool_use';

/** A whole non-streamed answer. */
export interface ChatResult {
  text: string;
  stopReason: StopReason;
  usage: { inputTokens: number; outputTokens: number };
}

/** One step of a streamed answer. */
export type ChatEvent =
  | { type: 'text'; text: string }
  | { type: 'stop'; reason: StopReason }
  | { type: 'usage'; inputTokens: number; outputTokens: number }
  | { type: 'error'; errorType: string; message: string };

/** The upstream side of a wire protocol: encodes canonical calls, decodes answers into canonical form. */
export interface UpstreamCodec {
  /** Operation to call upstream for a streamed or non-streamed answer. */
  operation(stream: boolean): 'converse' | 'converse-stream' | 'chat-completions' | 'chat-completions-stream';
  encodeRequest(request: ChatRequest, model: string, stream: boolean): Uint8Array<ArrayBuffer>;
  decodeResult(body: Uint8Array): ChatResult;
  /** Turns stream bytes into events as they arrive. */
  decoder(): { push(chunk: Uint8Array): ChatEvent[]; end(): ChatEvent[] };
}

/** The client side of a wire protocol: renders canonical answers in the client's format. */
export interface ClientCodec {
  renderResult(result: ChatResult): { body: string; contentType: string };
  streamContentType: string;
  /** Encodes events to bytes for the client; null when an event has no wire form. */
  encoder(): { encode(events: ChatEvent[]): Uint8Array | null; end(): Uint8Array | null };
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
