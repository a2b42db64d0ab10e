import { constants, type IncomingHttpHeaders, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import { serverError, type ServerErrorResponder } from './server-errors.ts';

/**
 * Deadlines of an h2 session: the session is closed (GOAWAY) once it has had no open stream and no traffic for
 * `idleMs`, and a stream whose request body is not complete `requestTimeoutMs` after its headers is answered 408
 * and reset. A session that is quiet while a stream waits for a slow model is left alone; traffic re-arms the timer.
 */
export function h2Deadlines(session: ServerHttp2Session, idleMs: number, requestTimeoutMs: number, respond: ServerErrorResponder): void {
  let open = 0;
  session.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => {
    open += 1;
    const refuse = (): void => refuseSlowBody(stream, headers, requestTimeoutMs, respond);
    const slowBody = stream.endAfterHeaders ? undefined : setTimeout(refuse, requestTimeoutMs);
    stream.once('end', () => clearTimeout(slowBody));
    stream.once('close', () => {
      clearTimeout(slowBody);
      open -= 1;
      if (open === 0 && !session.closed) session.setTimeout(idleMs);
    });
  });
  session.on('timeout', () => {
    if (open === 0) session.close();
  });
  session.setTimeout(idleMs);
}

/** Answers 408 in the route family's shape (when nothing was answered yet) and resets the stream. */
function refuseSlowBody(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, timeoutMs: number, respond: ServerErrorResponder): void {
  if (stream.destroyed) return;
  if (stream.headersSent) return void stream.close(constants.NGHTTP2_CANCEL);
  const path = headers[':path']?.split('?')[0];
  const response = respond(serverError('request_timeout', `the request did not arrive in time (body within ${timeoutMs} ms)`, path));
  void response.arrayBuffer().then((body) => {
    if (stream.destroyed || stream.headersSent) return;
    const out: Record<string, string | number> = { ':status': response.status, 'content-length': body.byteLength };
    response.headers.forEach((value, name) => {
      out[name] = value;
    });
    stream.respond(out);
    // The client has not finished sending: after the whole answer, RST_STREAM(NO_ERROR) tells it to stop (RFC 9113, 8.1).
    stream.end(Buffer.from(body), () => stream.close(constants.NGHTTP2_NO_ERROR));
  });
}
