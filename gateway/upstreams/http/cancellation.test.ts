import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Cancellation } from '../../../lib/cancellation.ts';
import { fetchTransport } from './fetch.ts';
import type { HttpTransport } from './interface.ts';
import { undiciTransport } from './undici.ts';

const servers: Server[] = [];
const undici = undiciTransport();
afterAll(() => undici.close());
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A server that answers the headers and a first chunk only when `/stream`, nothing for any other path; it tells when a request's connection closed. */
async function holdingServer(): Promise<{ origin: string; closed: Promise<void> }> {
  let closed!: () => void;
  const whenClosed = new Promise<void>((resolve) => (closed = resolve));
  const server = createServer((req, res: ServerResponse) => {
    req.socket.once('close', closed);
    if (req.url === '/stream') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first');
    }
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, closed: whenClosed };
}

const transports: [string, HttpTransport][] = [
  ['undici', undici],
  ['fetch', fetchTransport()],
];

describe.each(transports)('a Cancellation as the signal of the %s transport', (_name, transport) => {
  it('ends a request waiting for its headers, and its connection', async () => {
    const server = await holdingServer();
    const cancellation = new Cancellation();
    const pending = transport({ origin: server.origin, path: '/wait', method: 'POST', headers: {}, signal: cancellation });
    setTimeout(() => cancellation.abort(new Error('client went away')), 50);
    await expect(pending).rejects.toThrow();
    await server.closed;
  });

  it('ends a body read that waits for the next chunk', async () => {
    const server = await holdingServer();
    const cancellation = new Cancellation();
    const response = await transport({ origin: server.origin, path: '/stream', method: 'GET', headers: {}, signal: cancellation });
    expect(response.status).toBe(200);
    expect(new TextDecoder().decode((await response.read())!)).toBe('first');
    const next = response.read();
    cancellation.abort(new Error('cut'));
    await expect(next).rejects.toThrow();
    await server.closed;
  });

  it('refuses to start a request whose cancellation was already aborted', async () => {
    const server = await holdingServer();
    const cancellation = new Cancellation();
    cancellation.abort(new Error('gone before'));
    await expect(transport({ origin: server.origin, path: '/wait', method: 'GET', headers: {}, signal: cancellation })).rejects.toThrow();
  });
});
