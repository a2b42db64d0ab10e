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
 * reset), without building that signal for every request; and, unlike it, also a pipelined HTTP/1.1 request still
 * queued behind another when its client leaves (its response, which has no socket yet, never closes, and its request
 * closed normally once its body was read): that one is watched on the connection. False for a request the listener did not bring (a shadow copy made in process): its signal
 * tells. The listener calls the app inside the request's own event, so nothing can have closed before this runs.
 */
export function nodeClientGone(c: Context<GatewayEnv>, gone: (reason: unknown) => void): boolean {
  const { incoming, outgoing } = (c.env ?? {}) as NodeBindings;
  if (!incoming || !outgoing || typeof outgoing.once !== 'function') return false;
  // Bound functions of the module, not closures: nothing is named at run time per request.
  outgoing.once('close', responseClosed.bind(null, incoming, outgoing, gone));
  if (!(incoming instanceof Http2ServerRequest) && !(outgoing as ServerResponse).socket) {
    // Queued behind another answer (rare: pipelining): watched on the connection until its own answer has closed.
    const socket = incoming.socket;
    const onSocketClose = socketClosed.bind(null, outgoing, gone);
    socket.once('close', onSocketClose);
    outgoing.once('close', () => socket.removeListener('close', onSocketClose));
  }
  return true;
}

function responseClosed(
  incoming: IncomingMessage | Http2ServerRequest,
  outgoing: ServerResponse | Http2ServerResponse,
  gone: (reason: unknown) => void,
): void {
  if (incoming.errored) gone(incoming.errored.toString());
  else if (!outgoing.writableFinished || (incoming instanceof Http2ServerRequest && incoming.aborted)) {
    gone('Client connection prematurely closed.');
  }
}

function socketClosed(outgoing: ServerResponse | Http2ServerResponse, gone: (reason: unknown) => void): void {
  if (!outgoing.writableFinished) gone('Client connection prematurely closed.');
}
