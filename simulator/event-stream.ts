import { EventStreamCodec, type MessageHeaders } from '@smithy/core/event-streams';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import type { FaultSpec } from './control.ts';
import { streamExceptionMessage } from './errors.ts';
import type { ScheduledFrame } from './timing.ts';

/** Content type of an AWS event-stream response body. */
export const EVENT_STREAM_TYPE = 'application/vnd.amazon.eventstream';

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const JSON_TYPE = { type: 'string', value: 'application/json' } as const;
const eventHeaders = new Map<string, MessageHeaders>();

/** One `event` frame whose payload is the JSON of `payload`. */
export function eventFrame(eventType: string, payload: unknown): Uint8Array {
  let headers = eventHeaders.get(eventType);
  if (!headers) {
    headers = {
      ':event-type': { type: 'string', value: eventType },
      ':content-type': JSON_TYPE,
      ':message-type': { type: 'string', value: 'event' },
    };
    eventHeaders.set(eventType, headers);
  }
  return codec.encode({ headers, body: fromUtf8(JSON.stringify(payload)) });
}

/** One modelled `exception` frame, e.g. `throttlingException`, with a `{message}` body. */
export function exceptionFrame(exceptionType: string, message: string): Uint8Array {
  return codec.encode({
    headers: {
      ':exception-type': { type: 'string', value: exceptionType },
      ':content-type': JSON_TYPE,
      ':message-type': { type: 'string', value: 'exception' },
    },
    body: fromUtf8(JSON.stringify({ message })),
  });
}

/** Decodes one frame; for tests and tools. */
export function decodeFrame(bytes: Uint8Array): { headers: Record<string, unknown>; body: string } {
  const message = codec.decode(bytes);
  const headers: Record<string, unknown> = {};
  for (const [name, header] of Object.entries(message.headers)) headers[name] = header.value;
  return { headers, body: toUtf8(message.body) };
}

/**
 * The exception frame a `stream-error` fault sends, due just after the last delta that went out (or at
 * the first token when none did).
 */
export function streamErrorFrame(fault: FaultSpec, deltaTimes: number[], breakAfter: number, ttftMs: number): ScheduledFrame {
  const at = deltaTimes[Math.min(breakAfter, deltaTimes.length) - 1] ?? ttftMs;
  const member = fault.exception ?? 'internalServerException';
  return { atMs: at, bytes: exceptionFrame(member, streamExceptionMessage(member)) };
}
