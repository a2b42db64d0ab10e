import { EventStreamCodec } from '@smithy/core/event-streams';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import type { Operation } from '../../../schema/observation.ts';
import { safeJson } from '../../json.ts';
import { MalformedUpstream, type ClientError, type StreamAdapter, type StreamTally } from '../../stream/interface.ts';
import type { Usage } from '../../stream/whole.ts';
import type { CacheUsage } from '../../metering/meter.ts';
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
      const usage = safeJson(payload)?.usage as ConverseUsage | undefined;
      tally.usage(usage?.inputTokens, usage?.outputTokens, converseCache(usage));
      if (this.stopSeen) tally.complete();
    }
  }
}

function applyInvokeFact(fact: InvokeFact, tally: StreamTally): void {
  if (fact.content) tally.content();
  const u = fact.usage;
  if (u) tally.usage(u.inputTokens, u.outputTokens, { read: u.cacheReadInputTokens, write: u.cacheWriteInputTokens });
  if (fact.stopReason) tally.stopReason(fact.stopReason);
  if (fact.final) tally.complete();
}

/** Converse `usage` (whole answers and the stream's `metadata` event). */
interface ConverseUsage {
  inputTokens?: number;
  outputTokens?: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
}

function converseCache(usage: ConverseUsage | undefined): CacheUsage {
  return { read: count(usage?.cacheReadInputTokens), write: count(usage?.cacheWriteInputTokens) };
}

/** Anthropic messages `usage` (invoke bodies, `message_start` and `message_delta` events). */
interface AnthropicUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
}

/** Usage of an Anthropic event or body, each count undefined when absent. */
function anthropicUsage(usage: AnthropicUsage | undefined): Partial<Usage> {
  return {
    inputTokens: count(usage?.input_tokens),
    outputTokens: count(usage?.output_tokens),
    cacheReadInputTokens: count(usage?.cache_read_input_tokens),
    cacheWriteInputTokens: count(usage?.cache_creation_input_tokens),
  };
}

/** A token count as reported, or undefined when it is absent or no count. */
function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

const NOTHING: InvokeFact = {};
const CONTENT: InvokeFact = { content: true };

function invokeFact(body: Uint8Array): InvokeFact {
  const bytes = safeJson(body)?.bytes;
  if (typeof bytes !== 'string') return NOTHING;
  const event = safeJson(Buffer.from(bytes, 'base64'));
  if (!event) return NOTHING;
  // Bedrock adds its own counts to the last chunk of every model family, Anthropic or not.
  const metrics = event['amazon-bedrock-invocationMetrics'] as InvocationMetrics | undefined;
  if (metrics) {
    const usage = {
      inputTokens: count(metrics.inputTokenCount),
      outputTokens: count(metrics.outputTokenCount),
      cacheReadInputTokens: count(metrics.cacheReadInputTokenCount),
      cacheWriteInputTokens: count(metrics.cacheWriteInputTokenCount),
    };
    return { usage, final: true };
  }
  switch (event.type) {
    case 'content_block_delta':
      return CONTENT;
    case 'message_start': {
      // Its output count is a placeholder (1); the real one comes with message_delta.
      const usage = anthropicUsage((event.message as { usage?: AnthropicUsage } | undefined)?.usage);
      return { usage: { ...usage, outputTokens: undefined } };
    }
    case 'message_delta': {
      const stop = (event.delta as { stop_reason?: unknown } | undefined)?.stop_reason;
      return {
        usage: anthropicUsage(event.usage as AnthropicUsage | undefined),
        ...(typeof stop === 'string' ? { stopReason: stop } : {}),
      };
    }
    case undefined:
      // Other model families (Llama `generation`, Titan `outputText`, ...) send text chunks without a type.
      return CONTENT;
    default:
      return NOTHING;
  }
}

/** Bedrock's own counts on the last chunk of an invoke stream. */
interface InvocationMetrics {
  inputTokenCount?: number;
  outputTokenCount?: number;
  cacheReadInputTokenCount?: number;
  cacheWriteInputTokenCount?: number;
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

/**
 * Usage of a non-streamed answer: the Converse body, or the invoke headers (Bedrock's counts, cache counts
 * included) and else the Anthropic body. Cache counts stay undefined when the answer says nothing about them.
 */
export function usageOfBody(operation: Operation, header: (name: string) => string | null, json: Record<string, unknown>): Usage {
  if (operation === 'converse') {
    const usage = json.usage as ConverseUsage | undefined;
    const cache = converseCache(usage);
    return {
      inputTokens: usage?.inputTokens ?? 0,
      outputTokens: usage?.outputTokens ?? 0,
      cacheReadInputTokens: cache.read,
      cacheWriteInputTokens: cache.write,
    };
  }
  const body = anthropicUsage(json.usage as AnthropicUsage | undefined);
  const fromHeader = (name: string): number | undefined => {
    const value = header(name);
    return value === null ? undefined : count(Number(value));
  };
  return {
    inputTokens: fromHeader('x-amzn-bedrock-input-token-count') ?? body.inputTokens ?? 0,
    outputTokens: fromHeader('x-amzn-bedrock-output-token-count') ?? body.outputTokens ?? 0,
    cacheReadInputTokens: fromHeader('x-amzn-bedrock-cache-read-input-token-count') ?? body.cacheReadInputTokens,
    cacheWriteInputTokens: fromHeader('x-amzn-bedrock-cache-write-input-token-count') ?? body.cacheWriteInputTokens,
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
