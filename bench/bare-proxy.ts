import { Hono } from 'hono';

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host'];
const REQUEST_DROPPED = new Set([...HOP_BY_HOP, 'content-length']);
const RESPONSE_DROPPED = new Set(HOP_BY_HOP);
const DECODED_DROPPED = new Set([...HOP_BY_HOP, 'content-encoding', 'content-length']);

/**
 * The least a proxy in our stack can do: forward method, path, headers and body to the upstream with
 * `fetch`, and stream the upstream's answer back as it comes.
 */
export function createBareProxy(upstream: string): Hono {
  const origin = new URL(upstream).origin;
  const app = new Hono();
  app.all('*', async function forward(c) {
    const request = c.req.raw;
    const url = new URL(request.url);
    const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
    const response = await fetch(`${origin}${url.pathname}${url.search}`, {
      method: request.method,
      headers: copyHeaders(request.headers, REQUEST_DROPPED),
      body: hasBody ? await request.arrayBuffer() : undefined,
    });
    // fetch decodes compressed bodies, so their encoding and length no longer apply.
    const dropped = response.headers.has('content-encoding') ? DECODED_DROPPED : RESPONSE_DROPPED;
    return new Response(response.body, { status: response.status, headers: copyHeaders(response.headers, dropped) });
  });
  return app;
}

function copyHeaders(from: Headers, dropped: ReadonlySet<string>): Headers {
  const headers = new Headers();
  for (const [name, value] of from) if (!dropped.has(name)) headers.append(name, value);
  return headers;
}
