import type { ChatEvent, ChatResult, ClientCodec, ToolCall, UpstreamCodec } from '../../canonical.ts';
import { canonicalStop } from '../../stop-reasons.ts';
import { MalformedUpstream } from '../../stream/interface.ts';
import { bedrockErrorType, normaliseErrorType } from './events.ts';
import { FrameSplitter } from './frames.ts';
import { encodeConverseRequest } from './converse-request.ts';
import { converseEventEncoder } from './converse-stream-encoder.ts';
import { type ConverseUsage, chatUsageOf, converseUsageOf } from './converse-usage.ts';

const decoder = new TextDecoder();

type Block = { text?: string; toolUse?: { toolUseId?: string; name?: string; input?: unknown } } & Record<string, unknown>;

/** The upstream side of Converse: canonical calls out, Converse answers and event streams in. */
export const converseUpstreamCodec: UpstreamCodec = {
  operation: (stream) => (stream ? 'converse-stream' : 'converse'),
  encodeRequest: (request) => encodeConverseRequest(request),
  decode(json) {
    const answer = json as {
      output?: { message?: { content?: Block[] } };
      stopReason?: string;
      usage?: ConverseUsage;
    };
    const content = answer.output?.message?.content ?? [];
    return {
      text: content.map((b) => b.text ?? '').join(''),
      toolCalls: content.flatMap((b) => (b.toolUse ? [toolCallOf(b.toolUse)] : [])),
      stopReason: canonicalStop(answer.stopReason),
      recordedStopReason: answer.stopReason ?? null,
      usage: chatUsageOf(answer.usage),
    };
  },
  errorType: bedrockErrorType,
  decoder() {
    const splitter = new FrameSplitter();
    let stopSeen = false;
    /** Tool call number of each open toolUse content block, by its block index. */
    const toolOfBlock = new Map<number, number>();
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
          } else if (type === 'contentBlockStart') {
            const use = (payload.start as { toolUse?: { toolUseId?: string; name?: string } } | undefined)?.toolUse;
            if (use) {
              const index = toolOfBlock.size;
              toolOfBlock.set(Number(payload.contentBlockIndex ?? index), index);
              events.push({ type: 'tool_start', index, id: String(use.toolUseId ?? ''), name: String(use.name ?? '') });
            }
          } else if (type === 'contentBlockDelta') {
            const delta = payload.delta as { text?: string; toolUse?: { input?: string } } | undefined;
            if (delta?.text) events.push({ type: 'text', text: delta.text });
            const index = toolOfBlock.get(Number(payload.contentBlockIndex));
            if (delta?.toolUse?.input && index !== undefined) events.push({ type: 'tool_delta', index, json: delta.toolUse.input });
          } else if (type === 'messageStop') {
            stopSeen = true;
            const recorded = typeof payload.stopReason === 'string' ? payload.stopReason : 'end_turn';
            events.push({ type: 'stop', reason: canonicalStop(recorded), recorded });
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
    const tools = result.toolCalls.map((call) => ({ toolUse: { toolUseId: call.id, name: call.name, input: call.input } }));
    const content = result.text || !tools.length ? [{ text: result.text }, ...tools] : tools;
    const body = {
      output: { message: { role: 'assistant', content } },
      stopReason: result.stopReason,
      usage: converseUsageOf(result.usage),
      metrics: { latencyMs: 0 },
    };
    return { body: JSON.stringify(body), contentType: 'application/json' };
  },
  encoder: converseEventEncoder,
};

/** A Converse `toolUse` block of an answer as a canonical tool call (a missing or non-object input becomes `{}`). */
function toolCallOf(use: NonNullable<Block['toolUse']>): ToolCall {
  const input = use.input;
  const object = typeof input === 'object' && input !== null && !Array.isArray(input) ? (input as Record<string, unknown>) : {};
  return { id: use.toolUseId ?? '', name: use.name ?? '', input: object };
}
