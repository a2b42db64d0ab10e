import {
  createServer as createHttp1Server,
  maxHeaderSize,
  type IncomingMessage,
  type Server as Http1Server,
  ServerResponse,
} from 'node:http';
import {
  createServer as createHttp2Server,
  type Http2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type ServerHttp2Session,
} from 'node:http2';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { checkingIntervalMs, DEFAULT_CONNECTION_LIMITS, routeConnection, type ConnectionLimits } from './connection-limits.ts';
import { h2Deadlines } from './h2-deadlines.ts';
import {
  answerWith,
  clientErrorHandler,
  lacksRequiredHost,
  plainServerError,
  requestLinePath,
  serverError,
  type ServerErrorResponder,
} from './server-errors.ts';

/** A fetch handler; `env` carries the Node request and response (`{ incoming, outgoing }`), as Hono's Node adapter passes them. */
export type FetchHandler = (request: Request, env?: unknown) => Response | Promise<Response>;

export interface DualServer {
  /** The port actually bound (useful with port 0). */
  port: number;
  url: string;
  /**
   * Stops accepting: the listener closes, idle HTTP/1.1 connections close and HTTP/2 sessions get a
   * GOAWAY. Requests already running go on.
   */
  stopAccepting(): void;
  /** Stops accepting; resolves once open connections are gone, destroying what is left after `forceAfterMs`. */
  close(forceAfterMs?: number): Promise<void>;
  /** Number of open client connections. */
  connections(): number;
  /** Connections closed at accept because `maxConnections` were open. */
  dropped(): number;
  /** When the last connection was accepted (`performance.now()` time; 0 before the first). */
  lastAcceptAt(): number;
  http1: Http1Server;
  http2: Http2Server;
}

export interface ListenOptions extends Partial<ConnectionLimits> {
  port?: number;
  host?: string;
  /** Largest HTTP/1.1 header block (Node's `maxHeaderSize`, 16 KiB by default); larger ones are answered 431. */
  maxHeaderBytes?: number;
  /**
   * Host of a request that names none (HTTP/1.0 without `Host`). An h2 request with neither `:authority` nor
   * `host` never gets here: Node's HTTP/2 layer resets its stream (PROTOCOL_ERROR) first.
   */
  fallbackHost?: string;
  /** The answers the listener writes itself (parser errors, 408, 413, 431); `{error: {code, message}}` by default. */
  serverErrors?: ServerErrorResponder;
}

/**
 * Serves a fetch handler on one TCP port for both HTTP/1.1 and HTTP/2 cleartext (prior knowledge).
 * The first bytes of each connection decide: the HTTP/2 preface goes to the h2c server, anything else
 * to the HTTP/1.1 server.
 */
export async function listenDual(handler: FetchHandler, options: ListenOptions = {}): Promise<DualServer> {
  const limits: ConnectionLimits = { ...DEFAULT_CONNECTION_LIMITS, ...definedOnly(options) };
  const respond = options.serverErrors ?? plainServerError;
  const maxHeaderBytes = options.maxHeaderBytes ?? maxHeaderSize;
  const listener = requestListener(handler, respond, options.fallbackHost ?? 'localhost');
  const http1 = createHttp1Server(
    {
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: checkingIntervalMs(limits),
      maxHeaderSize: maxHeaderBytes,
      // Checked by the request listener, which answers in JSON instead of Node's empty 400.
      requireHostHeader: false,
      ServerResponse: BodyAwareResponse,
    },
    listener,
  );
  const http2 = createHttp2Server({ settings: { maxConcurrentStreams: limits.h2MaxStreams } }, listener as never);
  const sockets = new Set<Socket>();
  const sessions = new Set<ServerHttp2Session>();
  const firstPaths = new WeakMap<Socket, string>();
  const pathOfSocket = (socket: Socket): string | undefined => firstPaths.get(socket);
  http1.on('clientError', clientErrorHandler(respond, pathOfSocket, { ...limits, maxHeaderBytes }));
  http2.on('session', (session: ServerHttp2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
    h2Deadlines(session, limits.h2IdleTimeoutMs, limits.requestTimeoutMs, respond);
  });
  let dropped = 0;
  let lastAcceptAt = 0;
  let closed: Promise<void> | undefined;
  const stopAccepting = (): Promise<void> => {
    closed ??= new Promise<void>((resolve) => net.close(() => resolve()));
    // Stops the HTTP/1.1 connection tracking and closes idle connections; its "not running" error is expected.
    http1.close(() => {});
    for (const session of sessions) session.close();
    return closed;
  };
  const net: NetServer = createNetServer({ noDelay: true }, (socket) => {
    lastAcceptAt = performance.now();
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    routeConnection(socket, http1, http2, limits, (bytes) => {
      const path = requestLinePath(bytes);
      if (path) firstPaths.set(socket, path);
    });
  });
  net.maxConnections = limits.maxConnections;
  net.on('drop', () => {
    dropped += 1;
  });
  await new Promise<void>((resolve, reject) => {
    net.once('error', reject);
    net.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  // The HTTP/1.1 server never listens itself; this starts its connection tracking, which
  // closeIdleConnections() and its request timeouts rely on.
  http1.emit('listening');
  const address = net.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const host = options.host && options.host !== '0.0.0.0' && options.host !== '::' ? options.host : '127.0.0.1';
  return {
    port,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    http1,
    http2,
    connections: () => sockets.size,
    dropped: () => dropped,
    lastAcceptAt: () => lastAcceptAt,
    stopAccepting: () => void stopAccepting(),
    close: async (forceAfterMs = 0) => {
      const done = stopAccepting();
      const deadline = Date.now() + forceAfterMs;
      while (sockets.size > 0 && Date.now() < deadline) {
        http1.closeIdleConnections();
        await new Promise((r) => setTimeout(r, 20));
      }
      for (const socket of sockets) socket.destroy();
      await done;
    },
  };
}

/** Only the options that are set, so an `undefined` never replaces a default. */
function definedOnly(options: ListenOptions): Partial<ConnectionLimits> {
  const entries = Object.entries(options).filter(([name, value]) => value !== undefined && name in DEFAULT_CONNECTION_LIMITS);
  return Object.fromEntries(entries) as Partial<ConnectionLimits>;
}

type Incoming = IncomingMessage | Http2ServerRequest;
type Outgoing = ServerResponse | Http2ServerResponse;

/**
 * Hono's Node listener with every refusal in JSON: an HTTP/1.1 request without Host gets 400 (RFC 9112 requires
 * the header; HTTP/1.0 requests without one use `fallbackHost`), and a request whose host or target Hono
 * cannot make a URL of gets 400 too, each through `respond` instead of Hono's empty 400.
 */
function requestListener(handler: FetchHandler, respond: ServerErrorResponder, fallbackHost: string) {
  // Hono calls `errorHandler` synchronously inside the listener call, before its first await: `current` is that request.
  let current: Incoming | undefined;
  const hono = getRequestListener(handler as Parameters<typeof getRequestListener>[0], {
    hostname: fallbackHost,
    errorHandler: (err) => respond(serverError('malformed_http', `malformed HTTP request: ${(err as Error).message}`, pathOf(current))),
  });
  return (incoming: Incoming, outgoing: Outgoing): Promise<void> => {
    if (lacksRequiredHost(incoming)) {
      return answerWith(outgoing, respond(serverError('malformed_http', 'HTTP/1.1 request without a Host header', pathOf(incoming))), true);
    }
    current = incoming;
    try {
      return hono(incoming, outgoing as never);
    } finally {
      current = undefined;
    }
  };
}

/**
 * An HTTP/1.1 answer written before the request's body has all arrived (a 413 on its declared length, a 401)
 * says `connection: close` and closes, instead of keeping the connection and reading the rest of the body to drop it.
 * A class of the server's (not a wrapper per request): every answer's head, explicit or implied, goes through it.
 */
class BodyAwareResponse extends ServerResponse {}
const writeHead = ServerResponse.prototype.writeHead;
BodyAwareResponse.prototype.writeHead = function writeHeadClosing(this: ServerResponse, ...args: unknown[]) {
  if (!this.req.complete) this.shouldKeepAlive = false;
  return writeHead.apply(this, args as Parameters<typeof writeHead>);
} as typeof writeHead;

/** Node's own fields of an answer whose head is built (`_header`) but not yet written (`_headerSent`). */
interface PendingHead {
  _header: string | null;
  _headerSent: boolean;
}

const flushHeaders = ServerResponse.prototype.flushHeaders;
/**
 * A streamed answer's head goes out with its first body bytes when they come before the event loop's next check
 * phase (as the whole answer does when the upstream sent it in one piece): one write for head, chunk and end where
 * Hono's adapter, which flushes the head on its own before reading the body, makes two or three. When no body bytes
 * come by then (an upstream still thinking), the head is written then, so a client learns the status as soon as
 * before, give or take one turn of the loop. A body that fails before then (the stream core never lets one fail)
 * ends the connection without a head, where the client would otherwise get the head and then the reset.
 */
BodyAwareResponse.prototype.flushHeaders = function flushHeadersSoon(this: ServerResponse) {
  const head = this as unknown as PendingHead;
  if (head._header === null || head._headerSent) return flushHeaders.call(this);
  setImmediate(() => {
    if (!head._headerSent && !this.destroyed && !this.writableEnded) flushHeaders.call(this);
  });
};

function pathOf(incoming: Incoming | undefined): string | undefined {
  return incoming?.url?.startsWith('/') ? incoming.url.split('?')[0] : undefined;
}
