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
