import { MalformedUpstream, type AnswerContext, type ClientError, type StreamAdapter, type StreamTally } from '../../stream/interface.ts';
import { meteredStream } from '../../stream/streamed.ts';
import { readWhole, type Metered, type WholeReading } from '../../stream/whole.ts';
import type { HttpResponse } from '../../upstreams/http/interface.ts';
import { tallyEvents } from '../../canonical.ts';
import { recordedOfFinish } from '../../stop-reasons.ts';
import { checkedRest, chunkEvents, openAIErrorType, sseErrorEvent } from './chat-codec.ts';
import { chatUsageOf, type OpenAIUsage } from './chat-usage.ts';
import { SseSplitter, type SseEvent } from './sse.ts';

const encoder = new TextEncoder();
/** An event that carries usage (an object, not the `"usage": null` of every chunk), a finish reason, or an error. */
const METERED = /"usage"\s*:\s*\{|"finish_reason"\s*:\s*"|"error"\s*:/;
const OPEN_BRACE = 123;

/**
 * The Chat Completions pass-through adapter: whole events go to the client as they came, metered from a
 * parse of each until the first content, then of those that carry usage or an error. The upstream is
 * always asked for usage; when the client did not ask for it, that usage-only chunk is held back. An event
 * whose data is not JSON is a malformed answer (seen from its first character, or when it is parsed; content
 * events after the first go unparsed, for speed); `[DONE]` closes a whole one.
 */
class ChatStreamPassThrough implements StreamAdapter {
  private readonly splitter = new SseSplitter();
  private contentSeen = false;
  private errored = false;
  constructor(private readonly includeUsage: boolean) {}

  push(chunk: Uint8Array, tally: StreamTally): Uint8Array | null {
    return this.pass(this.splitter.push(chunk), tally);
  }

  end(tally: StreamTally): Uint8Array | null {
    return this.pass(checkedRest(this.splitter), tally);
  }

  errorFrame(error: ClientError): Uint8Array {
    return encoder.encode(sseErrorEvent(error));
  }

  private pass(events: SseEvent[], tally: StreamTally): Uint8Array | null {
    let out = '';
    for (const event of events) {
      const data = event.data;
      if (data === '[DONE]') tally.complete();
      else if (data && data.charCodeAt(0) !== OPEN_BRACE) throw new MalformedUpstream('a stream event whose data is not JSON');
      else if ((!this.contentSeen || METERED.test(data)) && !this.meter(data, tally) && !this.includeUsage) {
        continue;
      }
      out += event.raw;
      // An upstream error event ends the answer: nothing after it goes out.
      if (this.errored) break;
    }
    return out ? encoder.encode(out) : null;
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
