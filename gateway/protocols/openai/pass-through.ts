import { MalformedUpstream, type AnswerContext, type ClientError, type StreamAdapter, type StreamTally } from '../../stream/interface.ts';
import { meteredStream } from '../../stream/streamed.ts';
import { readWhole, type Metered, type WholeReading } from '../../stream/whole.ts';
import type { HttpResponse } from '../../upstreams/http/interface.ts';
import { tallyEvents } from '../../canonical.ts';
import { recordedOfFinish } from '../../stop-reasons.ts';
import { chunkEvents, openAIErrorType, sseErrorEvent } from './chat-codec.ts';
import { chatUsageOf, type OpenAIUsage } from './chat-usage.ts';
import { SseByteSplitter, type SseSpan } from './sse.ts';

const encoder = new TextEncoder();
/** An event that carries usage (an object, not the `"usage": null` of every chunk), a finish reason, or an error. */
const METERED = /"usage"\s*:\s*\{|"finish_reason"\s*:\s*"|"error"\s*:/;
const OPEN_BRACE = 123;

/**
 * The Chat Completions pass-through adapter: whole events go to the client as the upstream's own bytes, metered
 * from a parse of each until the first content, then of those that carry usage or an error. The upstream is
 * always asked for usage; when the client did not ask for it, that usage-only chunk is held back. An event
 * whose data is not JSON is a malformed answer (seen from its first character, or when it is parsed; content
 * events after the first go unparsed, for speed); `[DONE]` closes a whole one.
 */
class ChatStreamPassThrough implements StreamAdapter {
  private readonly splitter = new SseByteSplitter();
  private contentSeen = false;
  private errored = false;
  constructor(private readonly includeUsage: boolean) {}

  push(chunk: Uint8Array, tally: StreamTally): Uint8Array | null {
    const { bytes, spans, wholeChunk } = this.splitter.push(chunk);
    return this.pass(bytes, spans, wholeChunk, tally);
  }

  end(tally: StreamTally): Uint8Array | null {
    const rest = this.splitter.flush();
    if (!rest) return null;
    // A last `[DONE]` without its blank line is whole (some servers end so); anything else is an event cut short.
    if (this.splitter.dataOf(rest.bytes, rest.span) !== '[DONE]') throw new MalformedUpstream('the stream ended inside an event');
    return this.pass(rest.bytes, [rest.span], false, tally);
  }

  errorFrame(error: ClientError): Uint8Array {
    return encoder.encode(sseErrorEvent(error));
  }

  /** The bytes of the events that go to the client: the chunk itself when all of it does. */
  private pass(bytes: Uint8Array, spans: SseSpan[], wholeChunk: boolean, tally: StreamTally): Uint8Array | null {
    const kept: SseSpan[] = [];
    for (const span of spans) {
      if (!this.keeps(bytes, span, tally)) continue;
      kept.push(span);
      // An upstream error event ends the answer: nothing after it goes out.
      if (this.errored) break;
    }
    return wholeChunk && kept.length === spans.length ? bytes : joined(bytes, kept);
  }

  /** Reads one event; false when it is held back (a usage-only chunk the client did not ask for). */
  private keeps(bytes: Uint8Array, span: SseSpan, tally: StreamTally): boolean {
    const data = this.splitter.dataOf(bytes, span);
    if (data === '[DONE]') tally.complete();
    else if (data && data.charCodeAt(0) !== OPEN_BRACE) throw new MalformedUpstream('a stream event whose data is not JSON');
    else if ((!this.contentSeen || METERED.test(data)) && !this.meter(data, tally) && !this.includeUsage) return false;
    return true;
  }

  /** Meters one event; false for a usage-only chunk (no choices delta). Throws `MalformedUpstream` when its data is no JSON. */
  private meter(data: string, tally: StreamTally): boolean {
    let usageOnly = false;
    try {
      const events = chunkEvents(data);
      tallyEvents(events, tally);
      for (const e of events) {
        if (e.type === 'text') this.contentSeen = true;
        else if (e.type === 'usage') usageOnly = !data.includes('"delta"');
        else if (e.type === 'error') this.errored = true;
      }
    } catch (err) {
      // An event whose data is no JSON is a malformed answer, as when translating; anything else fails open.
      if (err instanceof MalformedUpstream) throw err;
    }
    return !usageOnly;
  }
}

/** The bytes of `spans` in one array: a view of `bytes` when they follow each other, else a copy; null for none. */
function joined(bytes: Uint8Array, spans: SseSpan[]): Uint8Array | null {
  if (spans.length === 0) return null;
  let length = 0;
  let contiguous = true;
  for (let i = 0; i < spans.length; i++) {
    length += spans[i]!.end - spans[i]!.start;
    if (i > 0 && spans[i]!.start !== spans[i - 1]!.end) contiguous = false;
  }
  if (contiguous) return bytes.subarray(spans[0]!.start, spans[spans.length - 1]!.end);
  const out = new Uint8Array(length);
  let at = 0;
  for (const span of spans) {
    out.set(bytes.subarray(span.start, span.end), at);
    at += span.end - span.start;
  }
  return out;
}

/**
 * What metering reads of a whole Chat Completions answer handed on as it came: usage and finish reason only. The
 * message itself is the client's to read (tool arguments that are no JSON object included: only a translation needs them parsed).
 */
const passedChatReading: WholeReading<Metered> = {
  decode(json) {
    const answer = json as { choices?: { finish_reason?: string | null }[]; usage?: OpenAIUsage | null };
    const finish = answer.choices?.[0]?.finish_reason;
    return { usage: chatUsageOf(answer.usage), recordedStopReason: finish ? recordedOfFinish(finish) : null };
  },
  errorType: openAIErrorType,
};

/**
 * A Chat Completions answer handed on as it came: streams event by event through the stream core, whole
 * answers once read and checked.
 */
export async function chatPassThrough(
  response: HttpResponse,
  call: AnswerContext,
  stream: boolean,
  includeUsage: boolean,
): Promise<Response> {
  if (response.status < 300 && stream) {
    const body = meteredStream(response, new ChatStreamPassThrough(includeUsage), call);
    const headers = { ...call.headers(), 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };
    return new Response(body, { status: 200, headers });
  }
  const answer = await readWhole(response, call, passedChatReading, true);
  const headers = { ...call.headers(), 'content-type': response.header('content-type') ?? 'application/json' };
  return new Response(answer.bytes, { status: response.status, headers });
}
