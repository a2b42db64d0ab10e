import { afterEach, describe, expect, it, vi } from 'vitest';
import worker from './worker.ts';

const converse = {
  output: { message: { role: 'assistant', content: [{ text: 'hi' }] } },
  stopReason: 'end_turn',
  usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 },
  metrics: { latencyMs: 1 },
};

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('the Worker reading its configuration store', () => {
  it('reads the version key after the answer, never while the request is under way', async () => {
    const calls: string[] = [];
    let hold: Promise<void> | null = null;
    vi.stubGlobal('fetch', async (input: RequestInfo | URL) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      calls.push(url.host);
      // Upstash is down: the bundled configuration is served and each poll fails.
      if (url.host === 'upstash.test') throw new TypeError('fetch failed');
      if (hold) await hold;
      return Response.json(converse);
    });
    const bindings = {
      UPSTASH_REDIS_REST_URL: 'http://upstash.test',
      UPSTASH_REDIS_REST_TOKEN: 't',
      CONFIG_POLL_MS: '50',
      BEDROCK_ENDPOINT: 'http://bedrock.test',
      AWS_ACCESS_KEY_ID: 'AKIDTEST',
      AWS_SECRET_ACCESS_KEY: 'secret',
      OBSERVATION_STORE: 'off',
      LOG_LEVEL: 'error',
    };
    const background: Promise<unknown>[] = [];
    const ctx = { waitUntil: (p: Promise<unknown>) => void background.push(p) };
    const call = () =>
      worker.fetch(
        new Request('http://edge.test/model/mangaassist/converse', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-intent': 'faq', 'x-session-id': 's-1' },
          body: JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'Returns?' }] }] }),
        }),
        bindings,
        ctx,
      );
    expect((await call()).status).toBe(200);
    await Promise.all(background);
    await new Promise((r) => setTimeout(r, 60));

    let release!: () => void;
    hold = new Promise((r) => (release = r));
    calls.length = 0;
    const answer = call();
    await vi.waitFor(() => expect(calls).toContain('bedrock.test'));
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).not.toContain('upstash.test');
    release();
    expect((await answer).status).toBe(200);
    await Promise.all(background);
    expect(calls).toContain('upstash.test');
  });
});
