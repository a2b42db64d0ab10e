import type { Server as Http1Server } from 'node:http';
import type { Http2Server } from 'node:http2';
import type { Socket } from 'node:net';

/** The HTTP/2 connection preface a client with prior knowledge sends first (RFC 9113, 3.4). */
const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

/**
 * How long a client connection may hold a descriptor without doing anything, and how many it may hold at all.
 * Without these, silent sockets, half-sent HTTP/2 prefaces and idle h2 sessions stay open for ever.
 */
export interface ConnectionLimits {
  /** From accept to the first byte; a silent connection is closed (nothing is written: the client spoke no protocol). */
  firstBytesTimeoutMs: number;
  /** From the first byte of an `PRI * HTTP/2.0` preface to its last (24 bytes); a partial preface is closed. */
  h2PrefaceTimeoutMs: number;
  /** HTTP/1.1: from the first byte of a request to the end of its headers (Node's `headersTimeout`); answered 408. */
  headersTimeoutMs: number;
  /** From the first byte of a request (h2: its headers) to the end of its body (h1: Node's `requestTimeout`); answered 408. */
  requestTimeoutMs: number;
  /** HTTP/1.1: an idle keep-alive connection between requests is closed after this (Node's `keepAliveTimeout`). */
  keepAliveTimeoutMs: number;
  /** HTTP/2: a session with no open stream and no traffic for this long gets a GOAWAY and is closed. */
  h2IdleTimeoutMs: number;
  /** Open client connections at most; connections past it are closed at accept (counted in `dropped()`). */
  maxConnections: number;
  /**
   * HTTP/2: streams a session may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS); a client holds further
   * requests until one ends. `maxConnections` counts a session once, however many streams it carries.
   */
  h2MaxStreams: number;
}

/** Defaults: a minute of keep-alive (longer than common load balancers' 60 s), tight deadlines before a request. */
export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  firstBytesTimeoutMs: 10_000,
  h2PrefaceTimeoutMs: 5_000,
  headersTimeoutMs: 30_000,
  requestTimeoutMs: 300_000,
  keepAliveTimeoutMs: 65_000,
  h2IdleTimeoutMs: 65_000,
  maxConnections: 1_000,
  h2MaxStreams: 1_000,
};

/**
 * How often Node's HTTP/1.1 server looks for requests past `headersTimeoutMs` / `requestTimeoutMs`: its default,
 * 30 s, would let a slow client overstay a short deadline by that much.
 */
export function checkingIntervalMs(limits: ConnectionLimits): number {
  return Math.max(10, Math.min(1_000, Math.floor(limits.headersTimeoutMs / 4)));
}

/**
 * Hands a new connection to the HTTP/1.1 or the h2c server by its first bytes: the HTTP/2 preface goes to h2c,
 * anything else to HTTP/1.1. A connection that sends nothing within `firstBytesTimeoutMs`, or starts the preface
 * and does not finish it within `h2PrefaceTimeoutMs`, is destroyed. `onFirstBytes` sees the bytes that decided.
 */
export function routeConnection(
  socket: Socket,
  http1: Http1Server,
  http2: Http2Server,
  limits: ConnectionLimits,
  onFirstBytes: (bytes: Buffer) => void,
): void {
  let buffered = Buffer.alloc(0);
  let deadline = setTimeout(() => socket.destroy(), limits.firstBytesTimeoutMs);
  const onData = (chunk: Buffer): void => {
    if (buffered.length === 0) {
      clearTimeout(deadline);
      deadline = setTimeout(() => socket.destroy(), limits.h2PrefaceTimeoutMs);
    }
    buffered = Buffer.concat([buffered, chunk]);
    const n = Math.min(buffered.length, H2_PREFACE.length);
    const isH2 = buffered.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
    if (isH2 && buffered.length < H2_PREFACE.length) return;
    clearTimeout(deadline);
    socket.off('data', onData);
    socket.pause();
    socket.unshift(buffered);
    onFirstBytes(buffered);
    if (isH2) {
      // The h2 session reads what is buffered on the next tick, then takes the socket's handle.
      http2.emit('connection', socket);
    } else {
      http1.emit('connection', socket);
      socket.resume();
    }
  };
  socket.on('data', onData);
  socket.once('close', () => clearTimeout(deadline));
  socket.on('error', () => socket.destroy());
}
