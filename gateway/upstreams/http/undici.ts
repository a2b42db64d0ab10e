import { Agent, type Dispatcher } from 'undici';
import type { HttpRequest, HttpResponse, HttpTransport } from './interface.ts';

export interface UndiciTransportOptions {
  /**
   * Most connections open per upstream origin (default 256). Over HTTP/1.1 each open stream holds one, so more
   * concurrent requests than this wait in the pool for a free connection.
   */
  connections?: number;
  keepAliveTimeoutMs?: number;
}

/**
 * Node transport over undici's `request`: no web streams, no Response objects, a pooled keep-alive agent.
 * Measured about 2.5 times cheaper per round trip than Node 20's `fetch` (see bench/README.md).
 */
export function undiciTransport(options: UndiciTransportOptions = {}): HttpTransport & { close(): Promise<void> } {
  // No body timeout of undici's own (300 s by default): the stream core's idle deadline (UPSTREAM_IDLE_TIMEOUT_MS) decides.
  const agent = new Agent({
    connections: options.connections ?? 256,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
    pipelining: 1,
    bodyTimeout: 0,
  });
  const transport = async (request: HttpRequest): Promise<HttpResponse> => {
    const res = await agent.request({
      origin: request.origin,
      path: request.path,
      method: request.method,
      headers: request.headers,
      body: request.body,
      // Any EventTarget-like signal does for undici (its `aborted`, `reason` and two listener methods).
      signal: request.signal as AbortSignal,
    });
    return wrap(res);
  };
  return Object.assign(transport, { close: () => agent.close() });
}

function wrap(res: Dispatcher.ResponseData): HttpResponse {
  const iterator = res.body[Symbol.asyncIterator]();
  return {
    status: res.statusCode,
    header(name) {
      const value = res.headers[name];
      return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
    },
    async bytes() {
      return new Uint8Array(await res.body.arrayBuffer());
    },
    async read() {
      const { done, value } = await iterator.next();
      return done ? null : (value as Uint8Array);
    },
    cancel() {
      // A body destroyed before its end emits an abort error; nobody reads it any more (a fallback dropped an unread
      // error answer), so it must not surface as an unhandled error.
      res.body.once('error', ignore);
      res.body.destroy();
    },
  };
}

function ignore(): void {}
