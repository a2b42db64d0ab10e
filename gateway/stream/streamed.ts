import { ERRORS, statusOfErrorType } from '../errors.ts';
import type { HttpResponse } from '../upstreams/http/interface.ts';
import { cutShortMessage, streamErrorType, type CutShort } from './ending.ts';
import type { CacheUsage } from '../metering/meter.ts';
import type { AnswerContext, StreamAdapter, StreamContext, StreamTally } from './interface.ts';
import { UpstreamReader } from './upstream-reader.ts';
import { webStreamBody, type PullSource } from './pull-body.ts';

/** What the adapter reported so far: the meter gets content and usage at once; error and completion decide the ending. */
class Tally implements StreamTally {
  errorType: string | null = null;
  completed = false;
  constructor(private readonly call: StreamContext) {}
  content(): void {
    this.call.meter.firstToken();
  }
  usage(inputTokens: number | undefined, outputTokens: number | undefined, cache?: CacheUsage): void {
    this.call.meter.usage(inputTokens, outputTokens, cache);
  }
  stopReason(reason: string): void {
    this.call.meter.stopReason(reason);
  }
  error(errorType: string): void {
    this.errorType ??= errorType;
  }
  complete(): void {
    this.completed = true;
  }
}

type Controller = ReadableStreamDefaultController<Uint8Array>;

/**
 * The one stream core of every streamed answer (pass-through and translated, both protocols). It reads the
 * upstream under the idle deadline, hands each chunk to the adapter (which forwards whole units only and
 * reports usage), and decides exactly one ending, recorded once:
 * - completed: the closing unit went by; the client's stream ends normally;
 * - upstream error: the upstream's error frame went through; recorded with its type and status;
 * - idle timeout (504), malformed upstream or reset (502), shutdown (503): the client's stream ends with its
 *   protocol's error frame, never a normal end; a stream that ends without its closing unit is malformed;
 * - client abort (499): nobody reads on.
 */
export function meteredStream(response: HttpResponse, adapter: StreamAdapter, answer: AnswerContext): ReadableStream<Uint8Array> {
  return (answer.streamBody ?? webStreamBody)(new MeteredSource(response, adapter, streamContext(answer)));
}

/**
 * The source of one metered stream. A class, not closures: a stream may stay open for minutes, thousands at once,
 * and its methods live once on the prototype instead of once per stream (each named closure also carries its own
 * `name` property under the TypeScript loader).
 */
class MeteredSource implements PullSource {
  private readonly reader: UpstreamReader;
  private readonly tally: Tally;
  private controller!: Controller;
  private ended = false;

  constructor(
    response: HttpResponse,
    private readonly adapter: StreamAdapter,
    private readonly call: StreamContext,
  ) {
    call.meter.upstreamAnswered();
    this.reader = new UpstreamReader(response, call);
    this.tally = new Tally(call);
    // A cut (client gone, shutdown) ends the answer even while the client is not pulling: see `handleEvent`.
    call.signal.addEventListener('abort', this, { once: true });
  }

  start(c: Controller): void {
    this.controller = c;
  }

  async pull(): Promise<void> {
    const { reader, adapter, tally, call } = this;
    try {
      // Chunks that complete no unit forward nothing: read on, or the stream would wait for a pull that never comes.
      for (;;) {
        const chunk = await reader.read();
        if (this.ended) return;
        reader.received();
        if (chunk !== null) call.tap?.(chunk);
        const out = chunk === null ? adapter.end(tally) : adapter.push(chunk, tally);
        if (out) this.controller.enqueue(out);
        if (this.settle(chunk === null) || out) return;
      }
    } catch (err) {
      if (this.ended) return;
      // After the closing unit nothing is missing: a late reset or stall does not spoil a whole answer.
      if (!tally.completed) return this.cutShort(reader.failure(err), (err as Error).message);
      this.end(200, null, true);
      this.controller.close();
    }
  }

  cancel(): void {
    this.cutShort(this.call.cutBy().code, undefined, true);
  }

  /** The call's abort listener (this object is the listener). */
  handleEvent(): void {
    this.cutShort(this.call.cutBy().code);
  }

  private end(status: number, code: string | null, cancelUpstream: boolean): void {
    this.ended = true;
    this.call.signal.removeEventListener('abort', this);
    this.reader.stop(cancelUpstream);
    this.call.meter.finish(status, code);
  }

  private cutShort(code: CutShort, detail?: string, clientGone = false): void {
    if (this.ended) return;
    this.end(ERRORS[code].status, code, true);
    if (clientGone) return;
    // Nobody reads a stream whose client went away: it ends quietly (an errored stream is logged by the server).
    if (code === 'client_abort') {
      this.controller.close();
      return;
    }
    const message = cutShortMessage(code, this.call, detail);
    this.controller.enqueue(this.adapter.errorFrame({ type: streamErrorType(code), code, message }));
    this.controller.close();
  }

  /** Decides the ending once the upstream ended or sent its error; true when the answer is over. */
  private settle(atEnd: boolean): boolean {
    const tally = this.tally;
    if (tally.errorType !== null) {
      this.end(statusOfErrorType(tally.errorType), tally.errorType, true);
      this.controller.close();
    } else if (atEnd && tally.completed) {
      this.end(200, null, false);
      this.controller.close();
    } else if (atEnd) {
      this.cutShort('upstream_malformed', 'the stream ended before its final event');
    }
    return this.ended;
  }
}

/**
 * The fields of the call a running stream keeps. Not the call itself: its `headers` function holds the request's
 * whole Hono context (request, variables, helpers), a few KiB that would otherwise live as long as the stream.
 */
function streamContext(call: AnswerContext): StreamContext {
  const { meter, signal, cutBy, idleTimeoutMs, now, logger, tap } = call;
  return { meter, signal, cutBy, idleTimeoutMs, now, logger, tap };
}
