import { EventStreamCodec } from '@smithy/core/event-streams';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import type { Operation } from '../../../schema/observation.ts';
import { FrameSplitter } from './frames.ts';
import { safeJson } from '../../json.ts';

/** What metering needs to know about a Bedrock stream event. */
export type StreamEvent =
  | { kind: 'content' }
  | { kind: 'usage'; inputTokens?: number; outputTokens?: number }
  | { kind: 'error'; errorType: string; message: string }
  | { kind: 'other' };

/** Token usage of a whole answer. */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
}


/**
 * Reads metering facts from a Bedrock event stream as it passes. Payloads are decoded only when needed:
 * Converse usage sits in the `metadata` event; invoke streams carry Anthropic events base64-encoded in
 * `chunk` frames, decoded until the first content, then only the last two (usage and invocation metrics)
 * once the stream ends.
 */
export class BedrockStreamParser {
  private readonly splitter = new FrameSplitter();
  private contentSeen = false;
  private tail: Uint8Array[] = [];
  constructor(private readonly operation: Operation) {}

  push(chunk: Uint8Array): StreamEvent[] {
    const events: StreamEvent[] = [];
    for (const frame of this.splitter.push(chunk)) {
      const messageType = frame.headers[':message-type'];
      if (messageType === 'exception' || messageType === 'error') {
        const errorType = frame.headers[':exception-type'] || frame.headers[':error-code'] || 'InternalServerException';
        events.push({ kind: 'error', errorType: normaliseErrorType(errorType), message: errorMessage(frame.payload) });
      } else if (this.operation === 'converse-stream') {
        events.push(converseEvent(frame.headers[':event-type'] ?? '', frame.payload));
      } else if (this.contentSeen) {
        this.tail.push(frame.payload);
        if (this.tail.length > 2) this.tail.shift();
      } else {
        const event = invokeEvent(frame.payload);
        if (event.kind === 'content') this.contentSeen = true;
        events.push(event);
      }
    }
    return events;
  }

  /** Events held back until the stream ended (the last invoke chunks). */
  end(): StreamEvent[] {
    const events = this.tail.map(invokeEvent);
    this.tail = [];
    return events;
  }
}

function converseEvent(type: string, body: Uint8Array): StreamEvent {
  if (type === 'contentBlockDelta') return { kind: 'content' };
  if (type !== 'metadata') return { kind: 'other' };
  const usage = safeJson(body)?.usage as { inputTokens?: number; outputTokens?: number } | undefined;
  return { kind: 'usage', inputTokens: usage?.inputTokens, outputTokens: usage?.outputTokens };
}

function invokeEvent(body: Uint8Array): StreamEvent {
  const bytes = safeJson(body)?.bytes;
  if (typeof bytes !== 'string') return { kind: 'other' };
  const event = safeJson(Buffer.from(bytes, 'base64'));
  if (!event) return { kind: 'other' };
  // Bedrock adds its own counts to the last chunk of every model family, Anthropic or not.
  const metrics = event['amazon-bedrock-invocationMetrics'] as { inputTokenCount?: number; outputTokenCount?: number } | undefined;
  if (metrics) return { kind: 'usage', inputTokens: metrics.inputTokenCount, outputTokens: metrics.outputTokenCount };
  switch (event.type) {
    case 'content_block_delta':
      return { kind: 'content' };
    case 'message_start': {
      const usage = (event.message as { usage?: { input_tokens?: number } } | undefined)?.usage;
      return { kind: 'usage', inputTokens: usage?.input_tokens };
    }
    case 'message_delta':
      return { kind: 'usage', outputTokens: (event.usage as { output_tokens?: number } | undefined)?.output_tokens };
    case undefined:
      // Other model families (Llama `generation`, Titan `outputText`, ...) send text chunks without a type.
      return { kind: 'content' };
    default:
      return { kind: 'other' };
  }
}

const exceptionCodec = new EventStreamCodec(toUtf8, fromUtf8);

/**
 * An event-stream exception frame, as Bedrock sends when a stream fails midway; SDK clients raise it as
 * the typed exception (`serviceUnavailableException` -> ServiceUnavailableException).
 */
export function exceptionFrame(exceptionType: string, message: string): Uint8Array {
  return exceptionCodec.encode({
    headers: {
      ':message-type': { type: 'string', value: 'exception' },
      ':exception-type': { type: 'string', value: exceptionType },
      ':content-type': { type: 'string', value: 'application/json' },
    },
    body: fromUtf8(JSON.stringify({ message })),
  });
}

/** Usage of a non-streamed answer: the Converse body, or the invoke headers / Anthropic body. */
export function usageOfBody(operation: Operation, header: (name: string) => string | null, body: Uint8Array): Usage {
  const json = safeJson(body);
  if (operation === 'converse') {
    const usage = json?.usage as { inputTokens?: number; outputTokens?: number } | undefined;
    return { inputTokens: usage?.inputTokens ?? 0, outputTokens: usage?.outputTokens ?? 0 };
  }
  const usage = json?.usage as { input_tokens?: number; output_tokens?: number } | undefined;
  return {
    inputTokens: Number(header('x-amzn-bedrock-input-token-count') ?? usage?.input_tokens ?? 0),
    outputTokens: Number(header('x-amzn-bedrock-output-token-count') ?? usage?.output_tokens ?? 0),
  };
}

/** `throttlingException` (stream frames) and `ThrottlingException:http://...` (headers) become `ThrottlingException`. */
export function normaliseErrorType(raw: string): string {
  const name = raw.split(':')[0] ?? raw;
  return name.charAt(0).toUpperCase() + name.slice(1);
}

function errorMessage(body: Uint8Array): string {
  const message = safeJson(body)?.message;
  return typeof message === 'string' ? message : '';
}
