import type { Logger } from '../../lib/log/interface.ts';
import type { CacheUsage, RequestMeter } from '../metering/meter.ts';
import type { CancelSignal } from '../../lib/cancellation.ts';
import type { StreamBody } from './pull-body.ts';

/** Default of `UPSTREAM_IDLE_TIMEOUT_MS`: the longest silence between chunks of an answer that has begun. */
export const DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS = 30_000;

/** Who cut a call short: the shutdown's grace period running out, or the client. */
export type CutBy = () => { status: number; code: 'shutdown_abort' | 'client_abort' };

/** The gateway's own response headers, computed when a response is built. */
export type ResponseHeaders = () => Record<string, string>;

/** What the stream core needs of a routed call to read, meter and end its answer. */
export interface AnswerContext {
  meter: RequestMeter;
  /** Aborted when the client goes away or the shutdown cuts the call. */
  signal: CancelSignal;
  cutBy: CutBy;
  headers: ResponseHeaders;
  /** Longest wait for the next upstream chunk once the answer has begun. */
  idleTimeoutMs: number;
  /** Monotonic milliseconds. */
  now: () => number;
  /** Where an unexpected failure of the answer is logged (standard error when absent). */
  logger?: Logger;
  /** Sees every upstream chunk as it is read (set only for requests whose answer is kept for shadow scoring). */
  tap?: (chunk: Uint8Array) => void;
  /** Makes a streamed answer's body from its source; a web `ReadableStream` when absent (see `GatewayDeps.streamBody`). */
  streamBody?: StreamBody;
}

/**
 * What a streamed answer holds of its call while it runs: everything but `headers`, which are sent at its start, and
 * `streamBody`, used when it is made.
 */
export type StreamContext = Omit<AnswerContext, 'headers' | 'streamBody'>;

/** Facts an adapter reports while upstream units go by; the core meters them and decides the ending. */
export interface StreamTally {
  /** Content went to the client (the first call fixes the time to first token). */
  content(): void;
  /** Usage seen so far; undefined counts (and cache counts left out) keep what was reported before. */
  usage(inputTokens: number | undefined, outputTokens: number | undefined, cache?: CacheUsage): void;
  /** Why the model stopped, in Converse's vocabulary (see `stop-reasons.ts`). */
  stopReason(reason: string): void;
  /** The upstream ended the answer with an error in its own protocol (exception frame, error event). */
  error(errorType: string): void;
  /** The unit that closes a whole answer went by (Converse `metadata`, invoke metrics, `[DONE]`). */
  complete(): void;
}

/** An error said in the client's protocol: an AWS-style type, the gateway's code (if any) and a message. */
export interface ClientError {
  type: string;
  code: string | null;
  message: string;
}

/** One protocol pair of a streamed answer (upstream bytes in, client bytes out), driven by the core. */
export interface StreamAdapter {
  /** Upstream bytes in; the client's bytes for every whole unit out (null when none is whole yet). */
  push(chunk: Uint8Array, tally: StreamTally): Uint8Array | null;
  /** The upstream ended: the client's last bytes, or null; throws `MalformedUpstream` when a unit is left unfinished. */
  end(tally: StreamTally): Uint8Array | null;
  /** The client protocol's error frame or event, which ends an answer that did not complete. */
  errorFrame(error: ClientError): Uint8Array;
}

/** Upstream bytes that are no valid answer: a corrupt or truncated frame, a body that is not JSON. */
export class MalformedUpstream extends Error {
  override name = 'MalformedUpstream';
}
