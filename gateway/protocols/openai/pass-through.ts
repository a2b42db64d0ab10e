import { withFields } from '../../../lib/fields.ts';
import { MalformedUpstream, type AnswerContext, type ClientError, type StreamAdapter, type StreamTally } from '../../stream/interface.ts';
import { meteredStream } from '../../stream/streamed.ts';
import { readWhole, type Metered, type WholeReading } from '../../stream/whole.ts';
import type { HttpResponse } from '../../upstreams/http/interface.ts';
import { tallyEvents } from '../../canonical.ts';
import { recordedOfFinish } from '../../stop-reasons.ts';
import { chunkEvents, openAIErrorType, sseErrorEvent } from './chat-codec.ts';
import { chatUsageOf, type OpenAIUsage } from './chat-usage.ts';
import { SseByteSplitter, type SseSpan } from './sse.ts';
import { nodeBuffer, utf8 } from '../../../lib/utf8.ts';

/** An event that carries usage (an object, not the `"usage": null` of every chunk), a finish reason, or an error. */
export const METERED = /"usage"\s*:\s*\{|"finish_reason"\s*:\s*"|"error"\s*:/;
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
  /** Where `METERED` may start in the bytes being passed (`meteredStarts`), read once per push when first needed; null: not read yet. */
  private starts: number[] | null = null;
  /** The first of `starts` not before the event being read (events are read in order). */
  private nextStart = 0;
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
    return utf8(sseErrorEvent(error));
  }

  /** The bytes of the events that go to the client: the chunk itself when all of it does. */
  private pass(bytes: Uint8Array, spans: SseSpan[], wholeChunk: boolean, tally: StreamTally): Uint8Array | null {
    const kept: SseSpan[] = [];
    this.starts = null;
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
    // After the first content, a one-line JSON event that cannot carry usage, a finish reason or an error goes on
    // without being decoded: most events of an answer.
    if (this.contentSeen && span.dataStart !== -1 && bytes[span.dataStart] === OPEN_BRACE && !this.mayBeMetered(bytes, span)) {
      return true;
    }
    const data = this.splitter.dataOf(bytes, span);
    if (data === '[DONE]') tally.complete();
    else if (data && data.charCodeAt(0) !== OPEN_BRACE) throw new MalformedUpstream('a stream event whose data is not JSON');
    else if ((!this.contentSeen || METERED.test(data)) && !this.meter(data, tally) && !this.includeUsage) return false;
    return true;
  }

  /** False only when `METERED` cannot match the event's data: no place in it where `meteredStarts` found a possible match. */
  private mayBeMetered(bytes: Uint8Array, span: SseSpan): boolean {
    if (this.starts === null) {
      this.starts = meteredStarts(bytes) ?? [-1];
      this.nextStart = 0;
    }
    const starts = this.starts;
    // [-1]: the chunk could not be read as one character per byte; each event is scanned on its own.
    if (starts[0] === -1) return mayBeMetered(bytes, span.dataStart, span.dataEnd);
    while (this.nextStart < starts.length && starts[this.nextStart]! < span.dataStart) this.nextStart++;
    return this.nextStart < starts.length && starts[this.nextStart]! < span.dataEnd;
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

/**
 * `METERED` read on single-byte text, found by the last letter of its key (`usage`, `finish_reason`, `error`): the engine
 * looks for two characters that rarely follow each other instead of trying every quote. Every non-ASCII character may
 * also stand where the pattern allows whitespace.
 */
const LOOSE_SPACE = '[\\s\\u0080-\\uffff]*';
const KEY_ENDS = new RegExp(`e"${LOOSE_SPACE}:${LOOSE_SPACE}\\{|n"${LOOSE_SPACE}:${LOOSE_SPACE}"|r"${LOOSE_SPACE}:`, 'g');
/** What must stand before the last letter a `KEY_ENDS` match starts with: a quote and the rest of the key. */
const KEY_HEADS: Record<string, string> = { e: '"usag', n: '"finish_reaso', r: '"erro' };
/**
 * The bytes as text of one character per byte (bytes below 0x80 as themselves, the others as non-ASCII characters);
 * null where the runtime cannot. On Node a latin1 read of a Buffer over the same bytes (1.7-1.9 against 6-10 µs for
 * TextDecoder's windows-1252 over 35 KB of events, node micro-benchmark); elsewhere (Workers) that TextDecoder.
 */
const singleByteText = ((): ((bytes: Uint8Array) => string) | null => {
  const buffer = nodeBuffer;
  if (buffer) return (bytes) => buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  try {
    const decoder = new TextDecoder('windows-1252');
    return (bytes) => decoder.decode(bytes);
  } catch {
    return null;
  }
})();

/**
 * Every place in `bytes` where `METERED` may start (a quote), in order: a superset of where it starts in the decoded
 * data of any event the bytes hold. The bytes are read as one character per byte and searched by the engine's regular
 * expressions, which is several times faster than `mayBeMetered` over each event of a chunk holding many. Null when
 * the runtime cannot read them so.
 */
export function meteredStarts(bytes: Uint8Array): number[] | null {
  const text = singleByteText?.(bytes);
  if (text === undefined || text.length !== bytes.length) return null;
  const starts: number[] = [];
  KEY_ENDS.lastIndex = 0;
  for (let match = KEY_ENDS.exec(text); match; match = KEY_ENDS.exec(text)) {
    const head = KEY_HEADS[text[match.index]!]!;
    const start = match.index - head.length;
    if (start >= 0 && text.startsWith(head, start)) starts.push(start);
    // Every place a match can begin, overlapping ones too: each event is asked about its own range.
    KEY_ENDS.lastIndex = match.index + 1;
  }
  return starts;
}

const QUOTE = 0x22;
const COLON = 0x3a;
const KEYS = ['usage"', 'finish_reason"', 'error"'].map((key) => Array.from(key, (ch) => ch.charCodeAt(0)));
/** What must follow each key's colon for `METERED` to match: `{`, `"`, anything. */
const AFTER_COLON = [123, QUOTE, -1];

/**
 * False only when `METERED` cannot match the event's data (bytes `from` to `to`): no `"usage"` key before an object,
 * no `"finish_reason"` before a string, no `"error"` key. Read on the bytes; a non-ASCII byte where the pattern allows
 * whitespace (`\s` also matches some non-ASCII spaces) counts as a possible match, so the decoded data decides.
 */
export function mayBeMetered(bytes: Uint8Array, from: number, to: number): boolean {
  for (let q = bytes.indexOf(QUOTE, from); q !== -1 && q < to; q = bytes.indexOf(QUOTE, q + 1)) {
    for (let k = 0; k < KEYS.length; k++) {
      const key = KEYS[k]!;
      let i = 0;
      while (i < key.length && q + 1 + i < to && bytes[q + 1 + i] === key[i]) i++;
      if (i < key.length) continue;
      let at = skipSpaces(bytes, q + 1 + key.length, to);
      if (at >= to) continue;
      if (bytes[at]! >= 0x80) return true;
      if (bytes[at] !== COLON) continue;
      if (AFTER_COLON[k] === -1) return true;
      at = skipSpaces(bytes, at + 1, to);
      if (at < to && (bytes[at] === AFTER_COLON[k] || bytes[at]! >= 0x80)) return true;
    }
  }
  return false;
}

/** The first index from `at` that is not ASCII whitespace (what `\s` matches below 0x80). */
function skipSpaces(bytes: Uint8Array, at: number, to: number): number {
  while (at < to && (bytes[at] === 32 || (bytes[at]! >= 9 && bytes[at]! <= 13))) at++;
  return at;
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
    const headers = withFields(call.headers(), { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    return new Response(body, { status: 200, headers });
  }
  const answer = await readWhole(response, call, passedChatReading, true);
  const headers = withFields(call.headers(), { 'content-type': response.header('content-type') ?? 'application/json' });
  return new Response(answer.bytes, { status: response.status, headers });
}
