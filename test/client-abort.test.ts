import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startStack } from './support/gateway.ts';

let stack: Awaited<ReturnType<typeof startStack>>;
beforeAll(async () => {
  stack = await startStack({ timeScale: 1 });
});
afterAll(() => stack?.close());

describe('a client that disconnects mid-stream', () => {
  it('aborts the upstream call and is recorded as client_abort with the tokens seen', async () => {
    const controller = new AbortController();
    const res = await fetch(`${stack.url}/model/mangaassist/invoke-with-response-stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-intent': 'recommendation', 'x-session-id': 'abort-1' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'recommend five long series please' }] }),
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    const [obs] = await stack.sink.waitFor(1);
    expect(obs).toMatchObject({ errorCode: 'client_abort', status: 499, streamed: true, operation: 'invoke-with-response-stream' });
    expect(obs!.inputTokens).toBeGreaterThan(0);
    const call = stack.sim.control.log.at(-1)!;
    expect(obs!.outputTokens).toBeLessThan(call.outputTokens);
    // The simulator saw its client (the gateway) go away: its stream was cancelled before the last frame
    // (which is due about a second later at time scale 1 for a ~450-token recommendation), not run to its end.
    await vi.waitFor(() => expect(call.finishedAt).toBeDefined(), { timeout: 5_000, interval: 10 });
    expect(call.cancelled).toBe(true);
  });
});

describe('a client that disconnects before a whole answer', () => {
  it('is recorded as client_abort when its client leaves, before the answer was due (HTTP/1.1 and HTTP/2)', async () => {
    // HTTP/1.1 through fetch; HTTP/2 through node:http2 with the stream reset.
    const body = JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'recommend five long series please' }] }] });
    const headers = { 'content-type': 'application/json', 'x-intent': 'recommendation' };
    const before = stack.sim.control.log.length;
    const controller = new AbortController();
    const h1 = fetch(`${stack.url}/model/mangaassist/converse`, {
      method: 'POST',
      headers: { ...headers, 'x-session-id': 'abort-whole-h1' },
      body,
      signal: controller.signal,
    }).catch((err: Error) => err);
    await vi.waitFor(() => expect(stack.sim.control.log.length).toBe(before + 1), { timeout: 5_000, interval: 5 });
    controller.abort();
    expect(await h1).toBeInstanceOf(Error);
    const { connect } = await import('node:http2');
    const session = connect(stack.url);
    const h2 = session.request({ ':method': 'POST', ':path': '/model/mangaassist/converse', ...headers, 'x-session-id': 'abort-whole-h2' });
    h2.on('error', () => {});
    h2.end(body);
    await vi.waitFor(() => expect(stack.sim.control.log.length).toBe(before + 2), { timeout: 5_000, interval: 5 });
    h2.close();
    const observations = await stack.sink.waitFor(3);
    for (const session of ['abort-whole-h1', 'abort-whole-h2']) {
      const obs = observations.find((o) => o.sessionId === session);
      expect(obs, session).toMatchObject({ errorCode: 'client_abort', status: 499, streamed: false, operation: 'converse' });
    }
    session.close();
    // Each was recorded when its client left, well before the model's answer was due (about a second at time scale 1).
    const calls = stack.sim.control.log.slice(before);
    await vi.waitFor(() => expect(calls.every((call) => call.finishedAt !== undefined)).toBe(true), { timeout: 5_000, interval: 10 });
    for (const [i, session] of ['abort-whole-h1', 'abort-whole-h2'].entries()) {
      const obs = observations.find((o) => o.sessionId === session)!;
      expect(obs.latencyMs).toBeLessThan(calls[i]!.finishedAt! - calls[i]!.startedAt);
    }
  });
});

describe('a client that leaves with a pipelined request still queued', () => {
  it('records both requests as client_abort, the queued one too', async () => {
    const { connect } = await import('node:net');
    const url = new URL(stack.url);
    const body = JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'recommend five long series please' }] }] });
    const request = (session: string): string =>
      `POST /model/mangaassist/converse-stream HTTP/1.1\r\nhost: ${url.host}\r\ncontent-type: application/json\r\n` +
      `x-intent: recommendation\r\nx-session-id: ${session}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    const before = stack.sink.observations.length;
    const socket = connect(Number(url.port), url.hostname);
    socket.on('error', () => {});
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    // Two requests in one write: the second waits behind the first's streaming answer.
    socket.write(request('pipelined-1') + request('pipelined-2'));
    await new Promise<void>((resolve) => socket.once('data', () => resolve()));
    socket.destroy();
    const observations = (await stack.sink.waitFor(before + 2)).slice(before);
    for (const session of ['pipelined-1', 'pipelined-2']) {
      expect(
        observations.find((o) => o.sessionId === session),
        session,
      ).toMatchObject({ errorCode: 'client_abort', status: 499 });
    }
  });
});
