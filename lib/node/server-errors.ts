import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { Socket } from 'node:net';

/** What went wrong in a request the listener answers itself, before (or instead of) the app. */
export type ServerErrorKind = 'malformed_http' | 'headers_too_large' | 'payload_too_large' | 'request_timeout';

const STATUS: Record<ServerErrorKind, number> = {
  malformed_http: 400,
  headers_too_large: 431,
  payload_too_large: 413,
  request_timeout: 408,
};

/** A refusal the listener writes itself, with the request path when it could be read (for the route family's shape). */
export interface ServerError {
  kind: ServerErrorKind;
  status: number;
  message: string;
  path: string | undefined;
}

/** Builds the answer to a refusal the listener writes itself (status, headers, JSON body). */
export type ServerErrorResponder = (error: ServerError) => Response;

/** A plain JSON error, `{error: {code, message}}`, for servers that give no responder of their own. */
export function plainServerError(error: ServerError): Response {
  const body = JSON.stringify({ error: { code: error.kind, message: error.message } });
  return new Response(body, { status: error.status, headers: { 'content-type': 'application/json' } });
}

/** A refusal of a given kind. */
export function serverError(kind: ServerErrorKind, message: string, path: string | undefined): ServerError {
  return { kind, status: STATUS[kind], message, path };
}

/** The path of the request line at the start of `bytes`, if they hold one (`GET /a?b HTTP/1.1` gives `/a`). */
export function requestLinePath(bytes: Buffer | undefined): string | undefined {
  if (!bytes) return undefined;
  const line = /^[A-Z]{1,20} (\/[^ ?\r\n]*)[^ \r\n]* HTTP\//.exec(bytes.subarray(0, 8_192).toString('latin1'));
  return line?.[1];
}

/** Node's parser error, with the error codes it sets and the bytes it choked on. */
type ClientError = Error & { code?: string; reason?: string; rawPacket?: Buffer };

/** What the parser checks against, for messages that name the limit. */
interface ParserLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  maxHeaderBytes: number;
}

function describe(err: ClientError, limits: ParserLimits): { kind: ServerErrorKind; message: string } {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return { kind: 'headers_too_large', message: `request headers exceed the ${limits.maxHeaderBytes}-byte limit` };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { kind: 'payload_too_large', message: 'chunk extensions of the request body are too large' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return {
        kind: 'request_timeout',
        message: `the request did not arrive in time (headers within ${limits.headersTimeoutMs} ms, all of it within ${limits.requestTimeoutMs} ms)`,
      };
    default:
      return { kind: 'malformed_http', message: `malformed HTTP request: ${err.reason ?? err.message}` };
  }
}

/** Whether the HTTP/1.1 server has started an answer on the socket (Node keeps it on `_httpMessage`). */
function responseInProgress(socket: Socket): boolean {
  const current = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  return Boolean(current?.headersSent);
}

/** Writes a whole response on a raw socket and closes it: the parser state is lost, so the socket cannot be reused. */
async function writeAndClose(socket: Socket, response: Response): Promise<void> {
  const body = Buffer.from(await response.arrayBuffer());
  const head = [`HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? ''}`];
  response.headers.forEach((value, name) => {
    head.push(`${name}: ${value}`);
  });
  head.push(`content-length: ${body.length}`, 'connection: close', '', '');
  if (!socket.writable) return void socket.destroy();
  socket.end(Buffer.concat([Buffer.from(head.join('\r\n'), 'latin1'), body]));
  // A client that never reads would keep the socket half-open.
  setTimeout(() => socket.destroy(), 2_000).unref();
}

/**
 * The HTTP/1.1 server's `clientError` handler: parser errors (bad framing, oversized headers) and request timeouts
 * are answered with `respond`'s JSON body and `connection: close` instead of Node's empty 400/408/431.
 * `pathOf` gives the path of the socket's request when the failing bytes do not hold its request line.
 */
export function clientErrorHandler(respond: ServerErrorResponder, pathOf: (socket: Socket) => string | undefined, limits: ParserLimits) {
  return (err: ClientError, socket: Socket): void => {
    if (err.code === 'ECONNRESET' || !socket.writable || responseInProgress(socket)) return void socket.destroy();
    const { kind, message } = describe(err, limits);
    const path = requestLinePath(err.rawPacket) ?? pathOf(socket);
    writeAndClose(socket, respond(serverError(kind, message, path))).catch(() => socket.destroy());
  };
}

/** Sends a refusal through a response object the server has already made (the request itself was parsed). */
export async function answerWith(outgoing: ServerResponse | Http2ServerResponse, response: Response, close: boolean): Promise<void> {
  const body = Buffer.from(await response.arrayBuffer());
  const headers: Record<string, string> = { 'content-length': String(body.length) };
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  if (close && 'shouldKeepAlive' in outgoing) headers.connection = 'close';
  outgoing.writeHead(response.status, headers);
  outgoing.end(body);
}

/** Whether an HTTP/1.1 request lacks the Host header RFC 9112 requires (HTTP/1.0 and h2 requests may). */
export function lacksRequiredHost(incoming: IncomingMessage | Http2ServerRequest): boolean {
  return incoming.httpVersion === '1.1' && !incoming.headers.host;
}
