import { EventStreamCodec } from '@smithy/core/event-streams';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import type { ChatEvent, ChatRequest, ChatResult, ChatUsage, ClientCodec, StopReason, UpstreamCodec } from '../../canonical.ts';
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

const CACHE_POINT: Block = { cachePoint: { type: 'default' } };

function isCachePoint(block: unknown): boolean {
  return typeof block === 'object' && block !== null && 'cachePoint' in block;
}

/** Converse `usage`: `inputTokens` excludes the cache reads and writes, `totalTokens` counts them all. */
interface ConverseUsage {
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
}

function chatUsageOf(usage: ConverseUsage | undefined): ChatUsage {
  const out: ChatUsage = { inputTokens: usage?.inputTokens ?? 0, outputTokens: usage?.outputTokens ?? 0 };
  if (typeof usage?.cacheReadInputTokens === 'number') out.cacheReadInputTokens = usage.cacheReadInputTokens;
  if (typeof usage?.cacheWriteInputTokens === 'number') out.cacheWriteInputTokens = usage.cacheWriteInputTokens;
  return out;
}

/** Canonical usage as Converse says it; the cache counts appear when the upstream reported any. */
function converseUsageOf(usage: ChatUsage): ConverseUsage {
  const read = usage.cacheReadInputTokens;
  const write = usage.cacheWriteInputTokens;
  const out: ConverseUsage = {
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    totalTokens: usage.inputTokens + usage.outputTokens + (read ?? 0) + (write ?? 0),
  };
  if (read !== undefined || write !== undefined) {
    out.cacheReadInputTokens = read ?? 0;
    out.cacheWriteInputTokens = write ?? 0;
  }
  return out;
}

/**
 * Converse body to the canonical call; content other than text (tools, images, documents) is refused. A
 * `cachePoint` block becomes a cache point after its message (or after the system prompt).
 */
export function converseToChat(body: BedrockBody): ChatRequest {
  const textOf = (blocks: unknown, where: string): string => {
    if (!Array.isArray(blocks)) throw new GatewayError('invalid_request', `${where}.content must be an array of content blocks`);
    return (blocks as Block[])
      .map((block, i) => {
        if (isCachePoint(block)) return '';
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
    const cachePoint = Array.isArray(m.content) && m.content.some(isCachePoint);
    const role: 'user' | 'assistant' = m.role;
    return { role, text: textOf(m.content, `messages.${i}`), ...(cachePoint ? { cachePoint } : {}) };
  });
  const systemBlocks = (body.system as Block[] | undefined) ?? [];
  const system = systemBlocks.flatMap((b, i) => {
    if (isCachePoint(b)) return [];
    if (typeof b.text !== 'string') throw new GatewayError('invalid_request', `system.${i}: only text system blocks can be translated`);
    return [b.text];
  });
  if (body.toolConfig)
    throw new GatewayError(
      'invalid_request',
      "toolConfig cannot be translated for this configuration's provider; route tool calls to a Bedrock configuration",
    );
  const inference = (body.inferenceConfig ?? {}) as { maxTokens?: number; temperature?: number; topP?: number; stopSequences?: string[] };
  return {
    system,
    ...(systemBlocks.some(isCachePoint) ? { systemCachePoint: true } : {}),
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
    const system: Block[] = request.system.map((text) => ({ text }));
    if (request.systemCachePoint && system.length) system.push(CACHE_POINT);
    const body = {
      messages: request.messages.map((m) => ({
        role: m.role,
        content: m.cachePoint ? [{ text: m.text }, CACHE_POINT] : [{ text: m.text }],
      })),
      ...(system.length ? { system } : {}),
      inferenceConfig,
      ...(request.metadata ? { requestMetadata: request.metadata } : {}),
    };
    return encoder.encode(JSON.stringify(body));
  },
  decode(json) {
    const answer = json as {
      output?: { message?: { content?: Block[] } };
      stopReason?: string;
      usage?: ConverseUsage;
    };
    return {
      text: (answer.output?.message?.content ?? []).map((b) => b.text ?? '').join(''),
      stopReason: stopReasonOf(answer.stopReason),
      usage: chatUsageOf(answer.usage),
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
            events.push({ type: 'usage', ...chatUsageOf(payload.usage as ConverseUsage | undefined) });
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
      usage: converseUsageOf(result.usage),
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
            out.push(frame('metadata', { usage: converseUsageOf(event), metrics: { latencyMs: 0 } }));
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
