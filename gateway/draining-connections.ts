import type { DualServer } from '../lib/node/listen.ts';

/**
 * While the gateway drains, a request that arrives ends its connection once answered: an HTTP/1.1 response carries
 * `connection: close` (the socket closes after it), and an HTTP/2 session gets a GOAWAY (its open streams, this one
 * included, still finish). A client that is still sent to this replica thus opens its next connection afresh, which
 * a load balancer that has seen `/readyz` fail gives to another replica.
 */
export function closeConnectionsWhileDraining(server: Pick<DualServer, 'http1' | 'http2'>, draining: () => boolean): void {
  server.http1.prependListener('request', function endAfterAnswer(_req, res) {
    if (draining()) res.shouldKeepAlive = false;
  });
  server.http2.prependListener('request', function goAwayAfterAnswer(req) {
    if (draining()) req.stream.session?.close();
  });
}
