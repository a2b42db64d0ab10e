import { Hono } from 'hono';
import { undiciTransport } from '../gateway/upstreams/http/undici.ts';

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

/**
 * The same pass-through on the transport the gateway itself uses (undici's `request`, pooled), so that
 * "gateway against bare" measures what the gateway's own work costs, not the choice of HTTP client.
 */
export function createBareUndiciProxy(upstream: string): Hono {
  const origin = new URL(upstream).origin;
  const send = undiciTransport();
  const app = new Hono();
  app.all('*', async function forward(c) {
    const request = c.req.raw;
    const url = new URL(request.url);
    const headers: Record<string, string> = {};
    for (const [name, value] of request.headers) if (!REQUEST_DROPPED.has(name)) headers[name] = value;
    const response = await send({
      origin,
      path: `${url.pathname}${url.search}`,
      method: request.method === 'GET' ? 'GET' : 'POST',
      headers,
      body: request.method === 'GET' ? undefined : new Uint8Array(await request.arrayBuffer()),
      signal: request.signal,
    });
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const chunk = await response.read();
        if (chunk === null) controller.close();
        else controller.enqueue(chunk);
      },
      cancel: () => response.cancel(),
    });
    const contentType = response.header('content-type');
    return new Response(body, { status: response.status, headers: contentType ? { 'content-type': contentType } : {} });
  });
  return app;
}
