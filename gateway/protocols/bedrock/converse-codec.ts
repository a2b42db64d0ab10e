import { EventStreamCodec } from '@smithy/core/event-streams';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import type { ChatEvent, ChatRequest, ChatResult, ClientCodec, StopReason, UpstreamCodec } from '../../canonical.ts';
import { GatewayError } from '../../errors.ts';
import { MalformedUpstream } from '../../stream/interface.ts';
import { bedrockErrorType, exceptionFrame, normaliseErrorType } from './events.ts';
import { FrameSplitter } from './frames.ts';
import type { BedrockBody } from './request.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const codec = new EventStreamCodec(toUtf8, fromUtf8);
const STOP_REASONS = new Set<string>(['end_turn', 'max_tokens', 'stop_sequence', 'content_filtered', 'tool_use']);

type Block = { text?: string } & Record<string, unknown>;

/** Converse body to the canonical call; content other than text (tools, images, documents) is refused. */
export function converseToChat(body: BedrockBody): ChatRequest {
  const textOf = (blocks: unknown, where: string): string => {
    if (!Array.isArray(blocks)) throw new GatewayError('invalid_request', `${where}.content must be an array of content blocks`);
    return (blocks as Block[])
      .map((block, i) => {
        if (typeof block.text !== 'string') {
          const kind = Object.keys(block)[0] ?? 'unknown';
          throw new GatewayError(
            'invalid_request',
            `${where}.content.${i}: "${kind}" blocks cannot be translated for this configuration's provider; only text is (route this call to a Bedrock configuration to keep them)`,
          );
        }
        return block.text;
      })
      .join('');
  };
  const messages = (body.messages as { role: string; content: unknown }[]).map((m, i) => {
    if (m.role !== 'user' && m.role !== 'assistant')
      throw new GatewayError('invalid_request', `messages.${i}.role must be user or assistant`);
    return { role: m.role, text: textOf(m.content, `messages.${i}`) } as const;
  });
  const system = ((body.system as Block[] | undefined) ?? []).map((b, i) => {
    if (typeof b.text !== 'string') throw new GatewayError('invalid_request', `system.${i}: only text system blocks can be translated`);
    return b.text;
  });
  if (body.toolConfig)
    throw new GatewayError(
      'invalid_request',
      "toolConfig cannot be translated for this configuration's provider; route tool calls to a Bedrock configuration",
    );
  const inference = (body.inferenceConfig ?? {}) as { maxTokens?: number; temperature?: number; topP?: number; stopSequences?: string[] };
  return {
    system,
    messages,
    maxTokens: inference.maxTokens,
    temperature: inference.temperature,
    topP: inference.topP,
    stop: inference.stopSequences,
    metadata: body.requestMetadata as Record<string, string> | undefined,
  };
}

/** The upstream side of Converse: canonical calls out, Converse answers and event streams in. */
export const converseUpstreamCodec: UpstreamCodec = {
  operation: (stream) => (stream ? 'converse-stream' : 'converse'),
  encodeRequest(request) {
    const inferenceConfig: Record<string, unknown> = {};
    if (request.maxTokens !== undefined) inferenceConfig.maxTokens = request.maxTokens;
    if (request.temperature !== undefined) inferenceConfig.temperature = request.temperature;
    if (request.topP !== undefined) inferenceConfig.topP = request.topP;
    if (request.stop?.length) inferenceConfig.stopSequences = request.stop;
    const body = {
      messages: request.messages.map((m) => ({ role: m.role, content: [{ text: m.text }] })),
      ...(request.system.length ? { system: request.system.map((text) => ({ text })) } : {}),
      inferenceConfig,
      ...(request.metadata ? { requestMetadata: request.metadata } : {}),
    };
    return encoder.encode(JSON.stringify(body));
  },
  decode(json) {
    const answer = json as {
      output?: { message?: { content?: Block[] } };
      stopReason?: string;
      usage?: { inputTokens?: number; outputTokens?: number };
    };
    return {
      text: (answer.output?.message?.content ?? []).map((b) => b.text ?? '').join(''),
      stopReason: stopReasonOf(answer.stopReason),
      usage: { inputTokens: answer.usage?.inputTokens ?? 0, outputTokens: answer.usage?.outputTokens ?? 0 },
    };
  },
  errorType: bedrockErrorType,
  decoder() {
    const splitter = new FrameSplitter();
    let stopSeen = false;
    return {
      push(chunk) {
        const events: ChatEvent[] = [];
        for (const frame of splitter.push(chunk)) {
          const type = frame.headers[':message-type'] === 'event' ? frame.headers[':event-type'] : undefined;
          const payload = payloadOf(frame.payload);
          if (type === undefined) {
            const errorType = normaliseErrorType(
              frame.headers[':exception-type'] ?? frame.headers[':error-code'] ?? 'InternalServerException',
            );
            events.push({ type: 'error', errorType, message: String(payload.message ?? '') });
          } else if (type === 'contentBlockDelta') {
            const text = (payload.delta as { text?: string } | undefined)?.text;
            if (text) events.push({ type: 'text', text });
          } else if (type === 'messageStop') {
            stopSeen = true;
            events.push({ type: 'stop', reason: stopReasonOf(payload.stopReason as string | undefined) });
          } else if (type === 'metadata') {
            const usage = payload.usage as { inputTokens?: number; outputTokens?: number } | undefined;
            events.push({ type: 'usage', inputTokens: usage?.inputTokens ?? 0, outputTokens: usage?.outputTokens ?? 0 });
            if (stopSeen) events.push({ type: 'done' });
          }
        }
        return events;
      },
      end() {
        if (splitter.pendingBytes) throw new MalformedUpstream(`the stream ended inside a frame (${splitter.pendingBytes} bytes of it)`);
        return [];
      },
    };
  },
};

function payloadOf(bytes: Uint8Array): Record<string, unknown> {
  if (!bytes.length) return {};
  try {
    return JSON.parse(decoder.decode(bytes)) as Record<string, unknown>;
  } catch {
    throw new MalformedUpstream('an event-stream frame whose payload is not JSON');
  }
}

/** The client side of Converse: canonical answers rendered as Converse JSON and event streams. */
export const converseClientCodec: ClientCodec = {
  streamContentType: 'application/vnd.amazon.eventstream',
  renderResult(result: ChatResult) {
    const body = {
      output: { message: { role: 'assistant', content: [{ text: result.text }] } },
      stopReason: result.stopReason,
      usage: {
        inputTokens: result.usage.inputTokens,
        outputTokens: result.usage.outputTokens,
        totalTokens: result.usage.inputTokens + result.usage.outputTokens,
      },
      metrics: { latencyMs: 0 },
    };
    return { body: JSON.stringify(body), contentType: 'application/json' };
  },
  encoder() {
    let started = false;
    let blockOpen = false;
    const frame = (type: string, payload: unknown): Uint8Array =>
      codec.encode({
        headers: {
          ':event-type': { type: 'string', value: type },
          ':content-type': { type: 'string', value: 'application/json' },
          ':message-type': { type: 'string', value: 'event' },
        },
        body: encoder.encode(JSON.stringify(payload)),
      });
    return {
      encode(events) {
        const out: Uint8Array[] = [];
        for (const event of events) {
          if (!started && event.type !== 'error' && event.type !== 'done') {
            out.push(frame('messageStart', { role: 'assistant' }));
            started = true;
          }
          if (event.type === 'text') {
            blockOpen = true;
            out.push(frame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: event.text } }));
          } else if (event.type === 'stop') {
            if (blockOpen) out.push(frame('contentBlockStop', { contentBlockIndex: 0 }));
            blockOpen = false;
            out.push(frame('messageStop', { stopReason: event.reason }));
          } else if (event.type === 'usage') {
            out.push(
              frame('metadata', {
                usage: {
                  inputTokens: event.inputTokens,
                  outputTokens: event.outputTokens,
                  totalTokens: event.inputTokens + event.outputTokens,
                },
                metrics: { latencyMs: 0 },
              }),
            );
          } else if (event.type === 'error') {
            out.push(exceptionFrame(event.errorType, event.message));
          }
        }
        return out.length ? Buffer.concat(out) : null;
      },
    };
  },
};

/** Bedrock stop reasons with no canonical twin, mapped to the nearest one. */
const STOP_ALIASES: Record<string, StopReason> = { guardrail_intervened: 'content_filtered', model_context_window_exceeded: 'max_tokens' };

function stopReasonOf(reason: string | undefined): StopReason {
  if (!reason) return 'end_turn';
  return STOP_REASONS.has(reason) ? (reason as StopReason) : (STOP_ALIASES[reason] ?? 'end_turn');
}
