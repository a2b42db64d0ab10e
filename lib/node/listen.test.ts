import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { openSocket } from '../../test/support/raw-socket.ts';
import { listenDual, type DualServer } from './listen.ts';

const encoder = new TextEncoder();
const EVENT = 'data: {"n":1}\n\n';
const REQUEST = 'GET /stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';

let server: DualServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Serves `body()` as a streamed event-stream answer, counting the socket writes of every connection. */
async function streamingServer(body: () => ReadableStream<Uint8Array>): Promise<{ url: string; writes: string[] }> {
  const writes: string[] = [];
  server = await listenDual(() => new Response(body(), { headers: { 'content-type': 'text/event-stream' } }));
  server.http1.prependListener('connection', (socket: Socket) => {
    const counted = socket as Socket & { _writeGeneric(writev: boolean, data: unknown, ...rest: unknown[]): unknown };
    const write = counted._writeGeneric;
    counted._writeGeneric = function (writev, data, ...rest) {
      writes.push(writev ? 'writev' : 'write');
      return write.call(this, writev, data, ...rest);
    };
  });
  return { url: server.url, writes };
}

/** Sends one request on a raw socket and reads until the server closes it. */
async function rawExchange(url: string): Promise<string> {
  const socket = await openSocket(url);
  let text = '';
  socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
  socket.write(REQUEST);
  await new Promise((resolve) => socket.once('close', resolve));
  return text;
}

describe('a streamed answer on HTTP/1.1', () => {
  it('goes out in one write, head included, when its body is there at once', async () => {
    const { url, writes } = await streamingServer(
      () =>
        new ReadableStream({
          start(controller) {
            controller.enqueue(encoder.encode(EVENT));
            controller.close();
          },
        }),
    );
    const text = await rawExchange(url);
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(text.toLowerCase()).toContain('transfer-encoding: chunked');
    expect(text.endsWith(`\r\n\r\n${EVENT.length.toString(16)}\r\n${EVENT}\r\n0\r\n\r\n`)).toBe(true);
    expect(writes).toEqual(['writev']);
  });

  it('sends its head before the body when the body is late', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const { url } = await streamingServer(
      () =>
        new ReadableStream({
          async start(controller) {
            // The body waits for the client to have seen the head: a head held back until the body would never come.
            await released;
            controller.enqueue(encoder.encode(EVENT));
            controller.close();
          },
        }),
    );
    const response = await fetch(`${url}/stream`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    release();
    expect(await response.text()).toBe(EVENT);
  });

  it('writes its head once when the body ends without bytes', async () => {
    const { url, writes } = await streamingServer(() => new ReadableStream({ start: (controller) => controller.close() }));
    const text = await rawExchange(url);
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(text.endsWith('\r\n\r\n0\r\n\r\n')).toBe(true);
    expect(text.match(/HTTP\/1\.1/g)).toHaveLength(1);
    expect(writes).toHaveLength(1);
  });

  it('is cancelled when the client goes at once, and the server goes on', async () => {
    let cancelled!: () => void;
    const cancelledStream = new Promise<void>((resolve) => (cancelled = resolve));
    const { url } = await streamingServer(() => new ReadableStream({ cancel: () => cancelled() }));
    const socket = await openSocket(url);
    socket.write(REQUEST);
    // Gone at once: most often before the loop's next check phase, where the head would be written.
    socket.destroy();
    await cancelledStream;
    await new Promise((resolve) => setImmediate(resolve));
    expect((await fetch(`${url}/stream`)).status).toBe(200);
  });
});
