import { EventStreamCodec } from '@smithy/core/event-streams';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { FrameSplitter } from '../protocols/bedrock/frames.ts';

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const decoder = new TextDecoder();

/** Scripted answers in each upstream protocol, and readers for what the client got. */
export const USAGE = { inputTokens: 21, outputTokens: 7 };
const TOTAL = USAGE.inputTokens + USAGE.outputTokens;

function frame(headers: Record<string, string>, payload: unknown): Uint8Array {
  const typed = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, { type: 'string' as const, value: v }]));
  return codec.encode({ headers: typed, body: fromUtf8(JSON.stringify(payload)) });
}

/** An event-stream event frame. */
export function eventFrame(eventType: string, payload: unknown): Uint8Array {
  return frame({ ':event-type': eventType, ':message-type': 'event', ':content-type': 'application/json' }, payload);
}

/** An event-stream exception frame (`member` as on the wire, e.g. `throttlingException`). */
export function exceptionEvent(member: string, message: string): Uint8Array {
  return frame({ ':exception-type': member, ':message-type': 'exception', ':content-type': 'application/json' }, { message });
}

/** The frames of a whole ConverseStream answer: one delta per word, then stop and metadata. */
export function converseStream(words = ['One', ' Piece']): Uint8Array[] {
  return [
    eventFrame('messageStart', { role: 'assistant' }),
    ...words.map((text) => eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text } })),
    eventFrame('contentBlockStop', { contentBlockIndex: 0 }),
    eventFrame('messageStop', { stopReason: 'end_turn' }),
    eventFrame('metadata', { usage: { ...USAGE, totalTokens: TOTAL }, metrics: { latencyMs: 5 } }),
  ];
}

const invokeChunk = (event: unknown): Uint8Array => eventFrame('chunk', { bytes: Buffer.from(JSON.stringify(event)).toString('base64') });

/** The chunks of a whole Anthropic InvokeModelWithResponseStream answer, Bedrock's metrics in the last. */
export function invokeStream(words = ['One', ' Piece']): Uint8Array[] {
  return [
    invokeChunk({ type: 'message_start', message: { usage: { input_tokens: USAGE.inputTokens, output_tokens: 1 } } }),
    ...words.map((text) => invokeChunk({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } })),
    invokeChunk({ type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: USAGE.outputTokens } }),
    invokeChunk({
      type: 'message_stop',
      'amazon-bedrock-invocationMetrics': { inputTokenCount: USAGE.inputTokens, outputTokenCount: USAGE.outputTokens },
    }),
  ];
}

const sse = (payload: unknown): string => `data: ${JSON.stringify(payload)}\n\n`;
const chatChunk = (choices: unknown[], usage: unknown = null): string =>
  sse({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices, usage });

/** The events of a whole Chat Completions stream: role, one delta per word, finish, the usage-only chunk, `[DONE]`. */
export function chatStream(words = ['One', ' Piece']): string[] {
  return [
    chatChunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]),
    ...words.map((content) => chatChunk([{ index: 0, delta: { content }, finish_reason: null }])),
    chatChunk([{ index: 0, delta: {}, finish_reason: 'stop' }]),
    chatChunk([], { prompt_tokens: USAGE.inputTokens, completion_tokens: USAGE.outputTokens, total_tokens: TOTAL }),
    'data: [DONE]\n\n',
  ];
}

/** A Chat Completions stream's error event. */
export const chatErrorEvent = (type: string, message: string): string => sse({ error: { message, type, code: null } });

/** Whole answers of each operation. */
export const converseBody = JSON.stringify({
  output: { message: { role: 'assistant', content: [{ text: 'One Piece' }] } },
  stopReason: 'end_turn',
  usage: { ...USAGE, totalTokens: TOTAL },
  metrics: { latencyMs: 5 },
});
export const invokeBody = JSON.stringify({
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  content: [{ type: 'text', text: 'One Piece' }],
  stop_reason: 'end_turn',
  usage: { input_tokens: USAGE.inputTokens, output_tokens: USAGE.outputTokens },
});
export const chatBody = JSON.stringify({
  id: 'c1',
  object: 'chat.completion',
  created: 1,
  model: 'm',
  choices: [{ index: 0, message: { role: 'assistant', content: 'One Piece' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: USAGE.inputTokens, completion_tokens: USAGE.outputTokens, total_tokens: TOTAL },
});

/** One event-stream frame as a client sees it. */
export interface ReadFrame {
  messageType: string;
  /** `:event-type`, or `:exception-type` for exceptions. */
  type: string;
  json: Record<string, unknown>;
}

/** Splits event-stream bytes into frames (checking every CRC); throws when they are not whole frames. */
export function readFrames(bytes: Uint8Array): ReadFrame[] {
  const splitter = new FrameSplitter();
  const frames = splitter.push(bytes).map((f) => ({
    messageType: f.headers[':message-type'] ?? '',
    type: f.headers[':event-type'] ?? f.headers[':exception-type'] ?? '',
    json: JSON.parse(decoder.decode(f.payload)) as Record<string, unknown>,
  }));
  if (splitter.pendingBytes) throw new Error(`${splitter.pendingBytes} bytes of an unfinished frame`);
  return frames;
}

/** The `data` of each server-sent event, parsed unless it is `[DONE]`. */
export function readSse(text: string): (Record<string, unknown> | '[DONE]')[] {
  return text
    .split(/\n\n/)
    .filter((e) => e.trim())
    .map((e) => {
      const data = e.replace(/^data: /, '');
      return data === '[DONE]' ? '[DONE]' : (JSON.parse(data) as Record<string, unknown>);
    });
}
