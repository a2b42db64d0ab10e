import { connect as connectH2, type ServerHttp2Session } from 'node:http2';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenDual } from '../lib/node/listen.ts';
import { startStack } from './support/gateway.ts';
import { openSocket, parseRawAnswer } from './support/raw-socket.ts';

/** Small deadlines, so each idle socket below is closed in well under a second. */
const LIMITS = {
  firstBytesTimeoutMs: 150,
  h2PrefaceTimeoutMs: 150,
  keepAliveTimeoutMs: 150,
  h2IdleTimeoutMs: 150,
  headersTimeoutMs: 150,
  requestTimeoutMs: 300,
};

let stack: Awaited<ReturnType<typeof startStack>>;
beforeAll(async () => {
  stack = await startStack({ connectionLimits: LIMITS });
});
afterAll(() => stack?.close());

/** Resolves when the server closes the socket, with what it wrote and how long it took; the caller never closes it. */
function closedByServer(socket: Socket): Promise<{ received: string; afterMs: number }> {
  const started = performance.now();
  let received = '';
  socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
  socket.on('error', () => {});
  return new Promise((resolve) => socket.once('close', () => resolve({ received, afterMs: performance.now() - started })));
}

describe('idle client connections are closed by the server', () => {
  it(`a socket that sends nothing: closed after the first-bytes deadline (${LIMITS.firstBytesTimeoutMs} ms), nothing written`, async () => {
    const { received, afterMs } = await closedByServer(await openSocket(stack.url));
    console.log(`silent socket closed after ${afterMs.toFixed(0)} ms`);
    expect(received).toBe('');
  });

  it(`a partial HTTP/2 preface: closed after the preface deadline (${LIMITS.h2PrefaceTimeoutMs} ms)`, async () => {
    const socket = await openSocket(stack.url);
    const closed = closedByServer(socket);
    socket.write('PRI * HTTP/2.0\r\n');
    const { received, afterMs } = await closed;
    console.log(`partial preface closed after ${afterMs.toFixed(0)} ms`);
    expect(received).toBe('');
  });

  it(`an HTTP/1.1 keep-alive connection: closed after its keep-alive timeout (${LIMITS.keepAliveTimeoutMs} ms, + Node's 1 s)`, async () => {
    const socket = await openSocket(stack.url);
    const closed = closedByServer(socket);
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    const { received, afterMs } = await closed;
    console.log(`keep-alive connection closed ${afterMs.toFixed(0)} ms after the request`);
    expect(parseRawAnswer(received)?.status).toBe(200);
    expect(parseRawAnswer(received)?.headers.connection).toBe('keep-alive');
  });

  it(`an HTTP/2 session with no open stream: GOAWAY then closed after ${LIMITS.h2IdleTimeoutMs} ms idle`, async () => {
    const session = connectH2(stack.url);
    session.on('error', () => {});
    const goaway = new Promise<number>((resolve) => session.once('goaway', (code: number) => resolve(code)));
    const closed = new Promise<void>((resolve) => session.once('close', () => resolve()));
    const stream = session.request({ ':path': '/healthz' });
    let body = '';
    stream.setEncoding('utf8');
    stream.on('data', (d: string) => (body += d));
    await new Promise((resolve) => stream.once('end', resolve));
    const started = performance.now();
    expect(await goaway).toBe(0);
    await closed;
    console.log(`idle h2 session closed ${(performance.now() - started).toFixed(0)} ms after its last stream`);
    expect(JSON.parse(body)).toEqual({ status: 'ok' });
  });
});

describe('an HTTP/2 session waiting on a slow answer', () => {
  it('is not closed by the idle timeout while its stream is open, and is once it is idle', async () => {
    let release = (): void => {};
    const answered = new Promise<void>((resolve) => (release = resolve));
    const server = await listenDual(
      async (request) => {
        if (new URL(request.url).pathname === '/slow') await answered;
        return new Response(`answer to ${new URL(request.url).pathname}`);
      },
      { h2IdleTimeoutMs: 100 },
    );
    // The slow answer is held until the session's idle timer has fired once with the stream open.
    server.http2.on('session', (session: ServerHttp2Session) => session.once('timeout', release));
    const session = connectH2(server.url);
    session.on('error', () => {});
    let goneAway = false;
    const goaway = new Promise<void>((resolve) => session.once('goaway', () => resolve()));
    void goaway.then(() => (goneAway = true));
    const get = async (path: string): Promise<string> => {
      const stream = session.request({ ':path': path });
      let body = '';
      stream.setEncoding('utf8');
      stream.on('data', (d: string) => (body += d));
      await new Promise((resolve) => stream.once('end', resolve));
      return body;
    };
    try {
      expect(await get('/slow')).toBe('answer to /slow');
      // A GOAWAY sent while the slow stream was open would refuse this second stream.
      expect(goneAway).toBe(false);
      expect(await get('/next')).toBe('answer to /next');
      await goaway;
    } finally {
      session.destroy();
      await server.close();
    }
  });
});

describe('an HTTP/2 request whose body never comes', () => {
  it(`is answered 408 in its route family's shape after the request deadline (${LIMITS.requestTimeoutMs} ms), and reset`, async () => {
    const session = connectH2(stack.url);
    session.on('error', () => {});
    try {
      const started = performance.now();
      const headers = { ':method': 'POST', ':path': '/v1/chat/completions', 'content-type': 'application/json' };
      const stream = session.request(headers, { endStream: false });
      stream.on('error', () => {});
      const status = new Promise<number>((resolve) => stream.once('response', (headers) => resolve(Number(headers[':status']))));
      let body = '';
      stream.setEncoding('utf8');
      stream.on('data', (d: string) => (body += d));
      await new Promise((resolve) => stream.once('close', resolve));
      console.log(`h2 request without its body answered after ${(performance.now() - started).toFixed(0)} ms`);
      expect(await status).toBe(408);
      const error = { code: 'request_timeout', type: 'timeout', message: expect.stringContaining('body within') };
      expect(JSON.parse(body)).toMatchObject({ error });
      expect(stack.sink.observations).toEqual([]);
    } finally {
      session.destroy();
    }
  });
});

describe('many idle sockets do not stop normal requests', () => {
  it('a request is served while 200 idle sockets are held (silent, partial preface, idle keep-alive)', async () => {
    const held = await startStack();
    const body = JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'hello' }] }] });
    const converse = async (): Promise<number> => {
      const started = performance.now();
      const headers = { 'content-type': 'application/json', 'x-intent': 'chitchat' };
      const res = await fetch(`${held.url}/model/mangaassist/converse`, { method: 'POST', body, headers });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { output: { message: { role: string } } }).output.message.role).toBe('assistant');
      return performance.now() - started;
    };
    /** Median of five calls, one after the other. */
    const median = async (): Promise<number> => {
      const times: number[] = [];
      for (let i = 0; i < 5; i++) times.push(await converse());
      return times.sort((a, b) => a - b)[2]!;
    };
    try {
      for (let i = 0; i < 20; i++) await converse();
      const idleMs = await median();
      const sockets: Socket[] = [];
      for (let i = 0; i < 200; i++) {
        const socket = await openSocket(held.url);
        socket.on('error', () => {});
        if (i % 3 === 1) socket.write('PRI * HTTP/2.0\r\n');
        if (i % 3 === 2) socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
        sockets.push(socket);
      }
      const heldMs = await median();
      const open = held.gateway.server.connections();
      console.log(
        `converse answered in ${heldMs.toFixed(1)} ms (median of 5) with ${sockets.length} idle sockets held, ${open} connections open` +
          ` (${idleMs.toFixed(1)} ms without)`,
      );
      expect(held.gateway.server.connections()).toBeGreaterThanOrEqual(200);
      for (const socket of sockets) socket.destroy();
    } finally {
      await held.close();
    }
  });
});

describe('the connection cap', () => {
  it('closes connections past maxConnections at accept and serves again once one is gone', async () => {
    const server = await listenDual(() => new Response('ok'), { maxConnections: 5 });
    try {
      const sockets = await Promise.all(Array.from({ length: 5 }, () => openSocket(server.url)));
      for (const socket of sockets) socket.on('error', () => {});
      const extra = await openSocket(server.url);
      const { received } = await closedByServer(extra);
      expect(received).toBe('');
      expect(server.dropped()).toBe(1);
      const gone = new Promise((resolve) => sockets[0]!.once('close', resolve));
      sockets[0]!.destroy();
      await gone;
      await new Promise((resolve) => setImmediate(resolve));
      const res = await fetch(`${server.url}/`);
      expect(await res.text()).toBe('ok');
      for (const socket of sockets) socket.destroy();
    } finally {
      await server.close();
    }
  });
});

describe('the HTTP/2 stream cap', () => {
  it('advertises h2MaxStreams per session: a request past it waits for an open one to end', async () => {
    const releases: (() => void)[] = [];
    const server = await listenDual(() => new Promise<Response>((resolve) => releases.push(() => resolve(new Response('ok')))), {
      h2MaxStreams: 2,
    });
    const session = connectH2(server.url);
    try {
      await new Promise((resolve) => session.once('remoteSettings', resolve));
      expect(session.remoteSettings.maxConcurrentStreams).toBe(2);
      const answers = [0, 1, 2].map(() => {
        const stream = session.request({ ':path': '/' });
        stream.end();
        stream.resume();
        return new Promise<number>((resolve) => stream.once('response', (h) => resolve(Number(h[':status']))));
      });
      await waitFor(() => releases.length === 2);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(releases).toHaveLength(2);
      releases[0]!();
      expect(await answers[0]).toBe(200);
      await waitFor(() => releases.length === 3);
      releases[1]!();
      releases[2]!();
      expect(await Promise.all(answers)).toEqual([200, 200, 200]);
    } finally {
      session.destroy();
      await server.close();
    }
  });

  it('defaults to 1,000 streams per session', async () => {
    const server = await listenDual(() => new Response('ok'));
    const session = connectH2(server.url);
    try {
      await new Promise((resolve) => session.once('remoteSettings', resolve));
      expect(session.remoteSettings.maxConcurrentStreams).toBe(1_000);
    } finally {
      session.destroy();
      await server.close();
    }
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
