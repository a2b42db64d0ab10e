import { connect, constants, type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2';
import { Client } from 'undici';
import { decodeFrame } from '../simulator/event-stream.ts';
import type { StreamsClient } from './streams-settings.ts';

/** One ConverseStream request to the gateway. */
export interface StreamRequest {
  origin: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

/** How a stream went: ok (read to the end with usage) or the kind of failure, and its timings. */
export interface StreamOutcome {
  ok: boolean;
  /** `http-<status>`, `exception:<type>`, `incomplete`, an error code...; null when ok. */
  failure: string | null;
  /** Request sent to the first content event, ms; null if none came. */
  ttftMs: number | null;
  /** Request sent to the last byte, ms. */
  durationMs: number;
}

/** Events a complete ConverseStream answer carries, in order of their first appearance. */
const REQUIRED_EVENTS = ['messageStart', 'contentBlockDelta', 'contentBlockStop', 'messageStop', 'metadata'];

/** Longest wait for the answer's headers, as undici's default `headersTimeout` on the HTTP/1.1 side. */
const HEADERS_TIMEOUT_MS = 300_000;

interface RunOptions {
  onFirstContent?: () => void;
  /** Close the stream at the first content event (a TTFT probe). */
  stopAtFirstContent?: boolean;
  /** Send the request as a stream of this HTTP/2 session instead of on an HTTP/1.1 connection of its own. */
  session?: ClientHttp2Session;
}

/** An answer's status and body, whichever protocol carried it. */
interface Answer {
  status: number;
  body: AsyncIterable<Buffer>;
  close(): Promise<void>;
}

/**
 * Sends one ConverseStream request (on an HTTP/1.1 connection of its own, or as a stream of `options.session`) and
 * reads the event stream: `onFirstContent` runs at the first `contentBlockDelta`; with `stopAtFirstContent` the
 * stream is closed there (a TTFT probe). Complete means every required event came and the metadata event carries
 * usage with output tokens.
 */
export async function runStream(request: StreamRequest, options: RunOptions = {}): Promise<StreamOutcome> {
  const sentAt = performance.now();
  let ttftMs: number | null = null;
  const seen = new Set<string>();
  let failure: string | null = null;
  let usageOk = false;
  let pending: Buffer = Buffer.alloc(0);
  let answer: Answer | undefined;
  try {
    answer = options.session ? await h2Answer(options.session, request) : await h1Answer(request);
    if (answer.status !== 200) {
      return { ok: false, failure: `http-${answer.status}`, ttftMs, durationMs: performance.now() - sentAt };
    }
    for await (const chunk of answer.body) {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (pending.length >= 4 && pending.length >= pending.readUInt32BE(0)) {
        const length = pending.readUInt32BE(0);
        const frame = decodeFrame(pending.subarray(0, length));
        pending = pending.subarray(length);
        const exception = frame.headers[':exception-type'];
        if (exception) failure ??= `exception:${String(exception)}`;
        const event = String(frame.headers[':event-type'] ?? '');
        seen.add(event);
        if (event === 'contentBlockDelta' && ttftMs === null) {
          ttftMs = performance.now() - sentAt;
          options.onFirstContent?.();
          if (options.stopAtFirstContent) return { ok: true, failure: null, ttftMs, durationMs: ttftMs };
        }
        if (event === 'metadata')
          usageOk = ((JSON.parse(frame.body) as { usage?: { outputTokens?: number } }).usage?.outputTokens ?? 0) > 0;
      }
    }
    if (!failure && (!REQUIRED_EVENTS.every((e) => seen.has(e)) || !usageOk || pending.length > 0)) failure = 'incomplete';
  } catch (error) {
    failure = (error as { code?: string }).code ?? (error as Error).name;
  } finally {
    await answer?.close().catch(() => {});
  }
  return { ok: failure === null, failure, ttftMs, durationMs: performance.now() - sentAt };
}

/**
 * A probe: one request on a new connection of the given protocol (for `h2` a new session, closed after it), so its
 * TTFT includes the connection's setup as a new client's would.
 */
export async function runProbe(client: StreamsClient, request: StreamRequest): Promise<StreamOutcome> {
  if (client === 'h1') return runStream(request, { stopAtFirstContent: true });
  const session = openSession(request.origin);
  try {
    return await runStream(request, { stopAtFirstContent: true, session });
  } finally {
    session.close();
  }
}

/** An HTTP/2 cleartext session to `origin` whose errors end its streams (counted there) instead of the process. */
export function openSession(origin: string): ClientHttp2Session {
  const session = connect(origin);
  session.on('error', () => {});
  return session;
}

async function h1Answer(request: StreamRequest): Promise<Answer> {
  const client = new Client(request.origin, { pipelining: 1, keepAliveTimeout: 1_000 });
  const close = (): Promise<void> => client.destroy();
  try {
    const response = await client.request({ path: request.path, method: 'POST', headers: request.headers, body: request.body });
    return { status: response.statusCode, body: response.body as AsyncIterable<Buffer>, close };
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
}

async function h2Answer(session: ClientHttp2Session, request: StreamRequest): Promise<Answer> {
  const stream: ClientHttp2Stream = session.request({
    ':method': 'POST',
    ':path': request.path,
    ...request.headers,
    'content-length': request.body.length,
  });
  stream.end(request.body);
  const close = async (): Promise<void> => {
    if (!stream.closed) stream.close(constants.NGHTTP2_CANCEL);
  };
  const status = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(Object.assign(new Error('no answer headers'), { code: 'H2_HEADERS_TIMEOUT' })),
      HEADERS_TIMEOUT_MS,
    );
    stream.once('response', (headers) => {
      clearTimeout(timer);
      resolve(Number(headers[':status']));
    });
    stream.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    stream.once('close', () => {
      clearTimeout(timer);
      reject(Object.assign(new Error('stream closed before its headers'), { code: `H2_CLOSED_${stream.rstCode ?? 0}` }));
    });
  }).catch(async (error: unknown) => {
    await close();
    throw error;
  });
  return { status, body: stream as AsyncIterable<Buffer>, close };
}
