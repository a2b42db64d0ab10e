import { createServer as createHttp1Server, type Server as Http1Server } from 'node:http';
import { createServer as createHttp2Server, type Http2Server, type ServerHttp2Session } from 'node:http2';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { getRequestListener } from '@hono/node-server';

/** The HTTP/2 connection preface a client with prior knowledge sends first (RFC 9113, 3.4). */
const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

export type FetchHandler = (request: Request) => Response | Promise<Response>;

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
  http1: Http1Server;
  http2: Http2Server;
}

export interface ListenOptions {
  port?: number;
  host?: string;
  /** Keep-alive for idle HTTP/1.1 connections. */
  keepAliveTimeoutMs?: number;
}

/**
 * Serves a fetch handler on one TCP port for both HTTP/1.1 and HTTP/2 cleartext (prior knowledge).
 * The first bytes of each connection decide: the HTTP/2 preface goes to the h2c server, anything else
 * to the HTTP/1.1 server.
 */
export async function listenDual(handler: FetchHandler, options: ListenOptions = {}): Promise<DualServer> {
  const listener = getRequestListener(handler as Parameters<typeof getRequestListener>[0]);
  const http1 = createHttp1Server({ keepAliveTimeout: options.keepAliveTimeoutMs ?? 65_000 }, listener);
  const http2 = createHttp2Server({}, listener as never);
  const sockets = new Set<Socket>();
  const sessions = new Set<ServerHttp2Session>();
  http2.on('session', (session: ServerHttp2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  let closed: Promise<void> | undefined;
  const stopAccepting = (): Promise<void> => {
    closed ??= new Promise<void>((resolve) => net.close(() => resolve()));
    // Stops the HTTP/1.1 connection tracking and closes idle connections; its "not running" error is expected.
    http1.close(() => {});
    for (const session of sessions) session.close();
    return closed;
  };
  const net: NetServer = createNetServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    routeConnection(socket, http1, http2);
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

function routeConnection(socket: Socket, http1: Http1Server, http2: Http2Server): void {
  let buffered = Buffer.alloc(0);
  const onData = (chunk: Buffer): void => {
    buffered = Buffer.concat([buffered, chunk]);
    const n = Math.min(buffered.length, H2_PREFACE.length);
    const isH2 = buffered.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
    if (isH2 && buffered.length < H2_PREFACE.length) return;
    socket.off('data', onData);
    socket.pause();
    socket.unshift(buffered);
    if (isH2) {
      // The h2 session reads what is buffered on the next tick, then takes the socket's handle.
      http2.emit('connection', socket);
    } else {
      http1.emit('connection', socket);
      socket.resume();
    }
  };
  socket.on('data', onData);
  socket.on('error', () => socket.destroy());
}
