import type { IncomingMessage, ServerResponse } from 'node:http';
import { Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import type { Context } from 'hono';
import type { GatewayEnv } from './deps.ts';

/** What the Node listener hands the app with each request (`c.env`). */
interface NodeBindings {
  incoming?: IncomingMessage | Http2ServerRequest;
  outgoing?: ServerResponse | Http2ServerResponse;
}

/**
 * `GatewayDeps.clientGone` for Node: watches the request's own connection, as the Node listener itself does to
 * abort `Request.signal` (the response closed before it finished, the request errored, or an HTTP/2 stream was
 * reset), without building that signal for every request. False for a request the listener did not bring (a shadow
 * copy made in process): its signal tells.
 */
export function nodeClientGone(c: Context<GatewayEnv>, gone: (reason: unknown) => void): boolean {
  const { incoming, outgoing } = (c.env ?? {}) as NodeBindings;
  if (!incoming || !outgoing || typeof outgoing.once !== 'function') return false;
  const closed = (): void => {
    if (incoming.errored) gone(incoming.errored.toString());
    else if (!outgoing.writableFinished || (incoming instanceof Http2ServerRequest && incoming.aborted)) {
      gone('Client connection prematurely closed.');
    }
  };
  if (outgoing.closed) closed();
  else outgoing.once('close', closed);
  return true;
}
