import { ERRORS, statusOfErrorType } from '../errors.ts';
import type { HttpResponse } from '../upstreams/http/interface.ts';
import { cutShortMessage, streamErrorType, type CutShort } from './ending.ts';
import type { CacheUsage } from '../metering/meter.ts';
import type { AnswerContext, StreamAdapter, StreamContext, StreamTally } from './interface.ts';
import { UpstreamReader } from './upstream-reader.ts';

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
  const call = streamContext(answer);
  call.meter.upstreamAnswered();
  const reader = new UpstreamReader(response, call);
  const tally = new Tally(call);
  let controller!: Controller;
  let ended = false;

  function end(status: number, code: string | null, cancelUpstream: boolean): void {
    ended = true;
    call.signal.removeEventListener('abort', onAbort);
    reader.stop(cancelUpstream);
    call.meter.finish(status, code);
  }

  function cutShort(code: CutShort, detail?: string, clientGone = false): void {
    if (ended) return;
    end(ERRORS[code].status, code, true);
    if (clientGone) return;
    // Nobody reads a stream whose client went away: it ends quietly (an errored stream is logged by the server).
    if (code === 'client_abort') {
      controller.close();
      return;
    }
    controller.enqueue(adapter.errorFrame({ type: streamErrorType(code), code, message: cutShortMessage(code, call, detail) }));
    controller.close();
  }

  // A cut (client gone, shutdown) ends the answer even while the client is not pulling.
  function onAbort(): void {
    cutShort(call.cutBy().code);
  }
  call.signal.addEventListener('abort', onAbort, { once: true });

  /** Decides the ending once the upstream ended or sent its error; true when the answer is over. */
  function settle(atEnd: boolean): boolean {
    if (tally.errorType !== null) {
      end(statusOfErrorType(tally.errorType), tally.errorType, true);
      controller.close();
    } else if (atEnd && tally.completed) {
      end(200, null, false);
      controller.close();
    } else if (atEnd) {
      cutShort('upstream_malformed', 'the stream ended before its final event');
    }
    return ended;
  }

  return new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    async pull() {
      try {
        // Chunks that complete no unit forward nothing: read on, or the stream would wait for a pull that never comes.
        for (;;) {
          const chunk = await reader.read();
          if (ended) return;
          reader.received();
          if (chunk !== null) call.tap?.(chunk);
          const out = chunk === null ? adapter.end(tally) : adapter.push(chunk, tally);
          if (out) controller.enqueue(out);
          if (settle(chunk === null) || out) return;
        }
      } catch (err) {
        if (ended) return;
        // After the closing unit nothing is missing: a late reset or stall does not spoil a whole answer.
        if (!tally.completed) return cutShort(reader.failure(err), (err as Error).message);
        end(200, null, true);
        controller.close();
      }
    },
    cancel() {
      cutShort(call.cutBy().code, undefined, true);
    },
  });
}

/**
 * The fields of the call a running stream keeps. Not the call itself: its `headers` function holds the request's
 * whole Hono context (request, variables, helpers), a few KiB that would otherwise live as long as the stream.
 */
function streamContext(call: AnswerContext): StreamContext {
  const { meter, signal, cutBy, idleTimeoutMs, now, logger, tap } = call;
  return { meter, signal, cutBy, idleTimeoutMs, now, logger, tap };
}
