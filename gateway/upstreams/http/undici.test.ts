import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { undiciTransport } from './undici.ts';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A server answering `ok` after `delayMs`, counting the requests open at once. */
async function slowServer(delayMs: number): Promise<{ origin: string; peak: () => number }> {
  let open = 0;
  let peak = 0;
  const server = createServer((_req, res) => {
    peak = Math.max(peak, ++open);
    setTimeout(() => {
      open--;
      res.end('ok');
    }, delayMs);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, peak: () => peak };
}

describe('undiciTransport', () => {
  it('keeps at most `connections` requests open at once per origin; the rest wait for a connection', async () => {
    const server = await slowServer(50);
    const transport = undiciTransport({ connections: 3 });
    try {
      const get = async (): Promise<string> => {
        const res = await transport({ origin: server.origin, path: '/', method: 'GET', headers: {}, signal: new AbortController().signal });
        return new TextDecoder().decode(await res.bytes());
      };
      expect(await Promise.all(Array.from({ length: 9 }, get))).toEqual(Array(9).fill('ok'));
      expect(server.peak()).toBe(3);
    } finally {
      await transport.close();
    }
  });
});
