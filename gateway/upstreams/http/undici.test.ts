import { createServer as createH1Server, type Server as H1Server } from 'node:http';
import { createServer as createH2Server, type Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { undiciTransport } from './undici.ts';

const servers: Array<H1Server | Http2Server> = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A server answering with the HTTP version it was asked in, after `delayMs`, counting requests open at once. */
async function versionServer(kind: 'h1' | 'h2c', delayMs = 0): Promise<{ origin: string; peak: () => number }> {
  let open = 0;
  let peak = 0;
  const handler = (req: { httpVersion: string }, res: { end(body: string): void }): void => {
    peak = Math.max(peak, ++open);
    setTimeout(() => {
      open--;
      res.end(req.httpVersion);
    }, delayMs);
  };
  const server = kind === 'h2c' ? createH2Server(handler) : createH1Server(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, peak: () => peak };
}

async function get(transport: ReturnType<typeof undiciTransport>, origin: string): Promise<string> {
  const res = await transport({ origin, path: '/', method: 'GET', headers: {}, signal: new AbortController().signal });
  return new TextDecoder().decode(await res.bytes());
}

describe('undiciTransport', () => {
  it('with http2 speaks prior-knowledge h2c to an http origin, many requests on one connection', async () => {
    const server = await versionServer('h2c', 50);
    const transport = undiciTransport({ http2: true, connections: 1 });
    try {
      const answers = await Promise.all(Array.from({ length: 20 }, () => get(transport, server.origin)));
      expect(answers).toEqual(Array(20).fill('2.0'));
      expect(server.peak()).toBe(20);
    } finally {
      await transport.close();
    }
  });

  it('over HTTP/1.1 keeps at most `connections` requests open at once; the rest wait for a connection', async () => {
    const server = await versionServer('h1', 50);
    const transport = undiciTransport({ connections: 3 });
    try {
      const answers = await Promise.all(Array.from({ length: 9 }, () => get(transport, server.origin)));
      expect(answers).toEqual(Array(9).fill('1.1'));
      expect(server.peak()).toBe(3);
    } finally {
      await transport.close();
    }
  });
});
