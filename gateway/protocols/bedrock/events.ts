import { EventStreamCodec } from '@smithy/core/event-streams';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import type { Operation } from '../../../schema/observation.ts';
import { safeJson } from '../../json.ts';
import { MalformedUpstream, type ClientError, type StreamAdapter, type StreamTally } from '../../stream/interface.ts';
import type { Usage } from '../../stream/whole.ts';
import { FrameSplitter, type Frame } from './frames.ts';

/** Metering facts of one invoke-stream chunk. */
type InvokeFact = { usage?: Partial<Usage>; content?: true; final?: true; stopReason?: string };

/**
 * The Bedrock pass-through adapter: whole, checked frames go to the client as they came, while metering
 * reads them. Payloads are decoded only when needed: Converse usage sits in the `metadata` event; invoke
 * streams carry model events base64-encoded in `chunk` frames, decoded until the first content, then only
 * the last two (usage and invocation metrics) once the stream ends. A Converse answer is whole once its
 * `messageStop` and `metadata` went by, an invoke answer once its chunk with Bedrock's invocation metrics did.
 */
export class EventStreamPassThrough implements StreamAdapter {
  private readonly splitter = new FrameSplitter();
  private contentSeen = false;
  private stopSeen = false;
  private tail: Uint8Array[] = [];
  constructor(private readonly operation: Operation) {}

  push(chunk: Uint8Array, tally: StreamTally): Uint8Array | null {
    for (const frame of this.splitter.push(chunk)) this.inspect(frame, tally);
    const whole = this.splitter.whole;
    return whole.length ? whole : null;
  }

  end(tally: StreamTally): Uint8Array | null {
    const left = this.splitter.pendingBytes;
    if (left) throw new MalformedUpstream(`the stream ended inside a frame (${left} bytes of it)`);
    for (const payload of this.tail) applyInvokeFact(invokeFact(payload), tally);
    this.tail = [];
    return null;
  }

  errorFrame(error: ClientError): Uint8Array {
    return exceptionFrame(error.type, error.message);
  }

  private inspect(frame: Frame, tally: StreamTally): void {
    const messageType = frame.headers[':message-type'];
    if (messageType === 'exception' || messageType === 'error') {
      tally.error(normaliseErrorType(frame.headers[':exception-type'] || frame.headers[':error-code'] || 'InternalServerException'));
    } else if (this.operation === 'converse-stream') {
      this.converseFrame(frame.headers[':event-type'], frame.payload, tally);
    } else if (this.contentSeen) {
      this.tail.push(frame.payload);
      if (this.tail.length > 2) this.tail.shift();
    } else {
      const fact = invokeFact(frame.payload);
      if (fact.content) this.contentSeen = true;
      applyInvokeFact(fact, tally);
    }
  }

  private converseFrame(type: string | undefined, payload: Uint8Array, tally: StreamTally): void {
    if (type === 'contentBlockDelta') tally.content();
    else if (type === 'messageStop') {
      this.stopSeen = true;
      const reason = safeJson(payload)?.stopReason;
      if (typeof reason === 'string') tally.stopReason(reason);
    } else if (type === 'metadata') {
      const usage = safeJson(payload)?.usage as { inputTokens?: number; outputTokens?: number } | undefined;
      tally.usage(usage?.inputTokens, usage?.outputTokens);
      if (this.stopSeen) tally.complete();
    }
  }
}

function applyInvokeFact(fact: InvokeFact, tally: StreamTally): void {
  if (fact.content) tally.content();
  if (fact.usage) tally.usage(fact.usage.inputTokens, fact.usage.outputTokens);
  if (fact.stopReason) tally.stopReason(fact.stopReason);
  if (fact.final) tally.complete();
}

const NOTHING: InvokeFact = {};
const CONTENT: InvokeFact = { content: true };

function invokeFact(body: Uint8Array): InvokeFact {
  const bytes = safeJson(body)?.bytes;
  if (typeof bytes !== 'string') return NOTHING;
  const event = safeJson(Buffer.from(bytes, 'base64'));
  if (!event) return NOTHING;
  // Bedrock adds its own counts to the last chunk of every model family, Anthropic or not.
  const metrics = event['amazon-bedrock-invocationMetrics'] as { inputTokenCount?: number; outputTokenCount?: number } | undefined;
  if (metrics) return { usage: { inputTokens: metrics.inputTokenCount, outputTokens: metrics.outputTokenCount }, final: true };
  switch (event.type) {
    case 'content_block_delta':
      return CONTENT;
    case 'message_start':
      return { usage: { inputTokens: (event.message as { usage?: { input_tokens?: number } } | undefined)?.usage?.input_tokens } };
    case 'message_delta': {
      const stop = (event.delta as { stop_reason?: unknown } | undefined)?.stop_reason;
      const outputTokens = (event.usage as { output_tokens?: number } | undefined)?.output_tokens;
      return { usage: { outputTokens }, ...(typeof stop === 'string' ? { stopReason: stop } : {}) };
    }
    case undefined:
      // Other model families (Llama `generation`, Titan `outputText`, ...) send text chunks without a type.
      return CONTENT;
    default:
      return NOTHING;
  }
}

const exceptionCodec = new EventStreamCodec(toUtf8, fromUtf8);

/**
 * An event-stream exception frame, as Bedrock sends when a stream fails midway; SDK clients raise it as
 * the typed exception (`ServiceUnavailableException` goes out as the member `serviceUnavailableException`).
 */
export function exceptionFrame(errorType: string, message: string): Uint8Array {
  return exceptionCodec.encode({
    headers: {
      ':message-type': { type: 'string', value: 'exception' },
      ':exception-type': { type: 'string', value: errorType.charAt(0).toLowerCase() + errorType.slice(1) },
      ':content-type': { type: 'string', value: 'application/json' },
    },
    body: fromUtf8(JSON.stringify({ message })),
  });
}

/** The stop reason a non-streamed answer names: Converse `stopReason`, Anthropic `stop_reason`; null when none. */
export function stopReasonOfBody(operation: Operation, json: Record<string, unknown>): string | null {
  const reason = operation === 'converse' ? json.stopReason : json.stop_reason;
  return typeof reason === 'string' ? reason : null;
}

/** Usage of a non-streamed answer: the Converse body, or the invoke headers / Anthropic body. */
export function usageOfBody(operation: Operation, header: (name: string) => string | null, json: Record<string, unknown>): Usage {
  if (operation === 'converse') {
    const usage = json.usage as { inputTokens?: number; outputTokens?: number } | undefined;
    return { inputTokens: usage?.inputTokens ?? 0, outputTokens: usage?.outputTokens ?? 0 };
  }
  const usage = json.usage as { input_tokens?: number; output_tokens?: number } | undefined;
  return {
    inputTokens: Number(header('x-amzn-bedrock-input-token-count') ?? usage?.input_tokens ?? 0),
    outputTokens: Number(header('x-amzn-bedrock-output-token-count') ?? usage?.output_tokens ?? 0),
  };
}

/** The error type of a Bedrock error answer: `x-amzn-ErrorType`, else the body's `__type` or `code`. */
export function bedrockErrorType(json: Record<string, unknown> | undefined, header: (name: string) => string | null): string | null {
  const raw = header('x-amzn-errortype') ?? json?.__type ?? json?.code;
  return typeof raw === 'string' ? normaliseErrorType(raw) : null;
}

/** `throttlingException` (stream frames) and `ThrottlingException:http://...` (headers) become `ThrottlingException`. */
export function normaliseErrorType(raw: string): string {
  const name = raw.split(':')[0] ?? raw;
  return name.charAt(0).toUpperCase() + name.slice(1);
}
