import { describe, expect, it } from 'vitest';
import { createSimulatorApp } from './app.ts';
import { decodeFrame } from './event-stream.ts';
import { cachePointsOf, DEFAULT_CACHE_TTL_MS, PromptCache } from './prompt-cache.ts';
import { HAIKU, post, SONNET_V2 } from './test-support.ts';

const CATALOGUE = 'Catalogue: '.padEnd(4000, 'manga volumes and box sets, ');
const QUESTION = 'Which box set suits a new reader?';

/** A Converse body whose system prompt ends with a cache point (and, with `both`, a second one after the catalogue). */
function converse(both = false, question = QUESTION): Record<string, unknown> {
  const content: unknown[] = [{ text: CATALOGUE }];
  if (both) content.push({ cachePoint: { type: 'default' } });
  content.push({ text: question });
  return {
    system: [{ text: 'You are a shop assistant.' }, { cachePoint: { type: 'default' } }],
    messages: [{ role: 'user', content }],
    requestMetadata: { intent: 'recommendation' },
  };
}

const anthropic = (question = QUESTION) => ({
  anthropic_version: 'bedrock-2023-05-31',
  max_tokens: 200,
  system: [{ type: 'text', text: 'You are a shop assistant.' }],
  messages: [
    {
      role: 'user',
      content: [
        { type: 'text', text: CATALOGUE, cache_control: { type: 'ephemeral' } },
        { type: 'text', text: question },
      ],
    },
  ],
});

/** Splits an event stream into its frames' JSON payloads (invoke chunks decoded from base64). */
function payloads(bytes: Uint8Array): { type: unknown; json: Record<string, unknown> }[] {
  const out: { type: unknown; json: Record<string, unknown> }[] = [];
  for (let at = 0; at < bytes.length; ) {
    const length = new DataView(bytes.buffer, bytes.byteOffset + at).getUint32(0);
    const frame = decodeFrame(bytes.subarray(at, at + length));
    const json = JSON.parse(frame.body) as Record<string, unknown>;
    out.push({
      type: frame.headers[':event-type'],
      json: typeof json.bytes === 'string' ? JSON.parse(Buffer.from(json.bytes, 'base64').toString()) : json,
    });
    at += length;
  }
  return out;
}

const sim = () => createSimulatorApp({ timeScale: 0, seed: 3, randomFaults: false });
const call = async (s: ReturnType<typeof sim>, model: string, operation: string, body: unknown) => {
  const res = await post(s.fetch, 'http://sim', model, operation, body);
  expect(res.status).toBe(200);
  return res;
};

describe('PromptCache', () => {
  const points = cachePointsOf([
    { role: 'system', text: 'a'.repeat(400) },
    { cachePoint: undefined },
    { role: 'user', text: 'b'.repeat(800) },
    { cachePoint: undefined },
    { role: 'user', text: 'c'.repeat(40) },
  ]);

  it('writes a prefix on first use, reads it on a repeat, and writes again once the TTL (in simulated time) passed', () => {
    let now = 0;
    const cache = new PromptCache(0.01, () => now);
    expect(cache.use(HAIKU, points, 310)).toEqual({ inputTokens: 10, cacheReadInputTokens: 0, cacheWriteInputTokens: 300 });
    now += DEFAULT_CACHE_TTL_MS * 0.01 - 1;
    expect(cache.use(HAIKU, points, 310)).toEqual({ inputTokens: 10, cacheReadInputTokens: 300, cacheWriteInputTokens: 0 });
    // The read renewed the TTL; once it runs out the prefix is written again.
    now += DEFAULT_CACHE_TTL_MS * 0.01 + 1;
    expect(cache.use(HAIKU, points, 310)).toEqual({ inputTokens: 10, cacheReadInputTokens: 0, cacheWriteInputTokens: 300 });
  });

  it('reads the longest cached prefix and writes the rest; models and prefixes do not share entries', () => {
    const cache = new PromptCache(1, () => 0);
    cache.use(HAIKU, points.slice(0, 1), 310);
    expect(cache.use(HAIKU, points, 310)).toEqual({ inputTokens: 10, cacheReadInputTokens: 100, cacheWriteInputTokens: 200 });
    expect(cache.use(SONNET_V2, points, 310)).toEqual({ inputTokens: 10, cacheReadInputTokens: 0, cacheWriteInputTokens: 300 });
    const other = cachePointsOf([{ role: 'system', text: 'x'.repeat(400) }, { cachePoint: undefined }]);
    expect(cache.use(HAIKU, other, 310)).toEqual({ inputTokens: 210, cacheReadInputTokens: 0, cacheWriteInputTokens: 100 });
  });

  it('keeps a prefix an hour when its cache point asks for ttl 1h', () => {
    let now = 0;
    const cache = new PromptCache(1, () => now);
    const long = cachePointsOf([{ role: 'system', text: 'a'.repeat(400) }, { cachePoint: '1h' }]);
    cache.use(HAIKU, long, 150);
    now += 30 * 60_000;
    expect(cache.use(HAIKU, long, 150).cacheReadInputTokens).toBe(100);
  });
});

describe('simulator prompt caching', () => {
  it('Converse: the first call writes the prefix, a repeat reads it; inputTokens excludes both, totalTokens counts them', async () => {
    const s = sim();
    const first = (await (await call(s, HAIKU, 'converse', converse())).json()) as { usage: Record<string, number> };
    const second = (await (await call(s, HAIKU, 'converse', converse())).json()) as { usage: Record<string, number> };
    expect(first.usage.cacheWriteInputTokens).toBeGreaterThan(0);
    expect(first.usage.cacheReadInputTokens).toBe(0);
    expect(second.usage).toMatchObject({
      cacheReadInputTokens: first.usage.cacheWriteInputTokens,
      cacheWriteInputTokens: 0,
      inputTokens: first.usage.inputTokens,
    });
    for (const u of [first.usage, second.usage])
      expect(u.totalTokens).toBe(u.inputTokens! + u.outputTokens! + u.cacheReadInputTokens! + u.cacheWriteInputTokens!);
    expect(s.control.log.at(-1)).toMatchObject({
      inputTokens: second.usage.inputTokens,
      cacheReadInputTokens: second.usage.cacheReadInputTokens,
    });
    // A second cache point after the catalogue: the system prefix is read, the catalogue written.
    const third = (await (await call(s, HAIKU, 'converse', converse(true))).json()) as { usage: Record<string, number> };
    expect(third.usage.cacheReadInputTokens).toBe(first.usage.cacheWriteInputTokens);
    expect(third.usage.cacheWriteInputTokens).toBeGreaterThan(900);
    // control.reset() forgets the cache.
    s.control.reset();
    const fresh = (await (await call(s, HAIKU, 'converse', converse())).json()) as { usage: Record<string, number> };
    expect(fresh.usage).toMatchObject({ cacheReadInputTokens: 0, cacheWriteInputTokens: first.usage.cacheWriteInputTokens });
  });

  it('ConverseStream reports the counts in its metadata event', async () => {
    const s = sim();
    await call(s, HAIKU, 'converse', converse());
    const frames = payloads(new Uint8Array(await (await call(s, HAIKU, 'converse-stream', converse())).arrayBuffer()));
    const usage = frames.find((f) => f.type === 'metadata')!.json.usage as Record<string, number>;
    expect(usage.cacheReadInputTokens).toBeGreaterThan(0);
    expect(usage.cacheWriteInputTokens).toBe(0);
  });

  it('InvokeModel: Anthropic usage in the body and Bedrock cache headers; the stream in message_start, message_delta and the metrics', async () => {
    const s = sim();
    const res = await call(s, SONNET_V2, 'invoke', anthropic());
    const body = (await res.json()) as { usage: Record<string, number> };
    const write = body.usage.cache_creation_input_tokens!;
    expect(write).toBeGreaterThanOrEqual(1000);
    expect(body.usage.cache_read_input_tokens).toBe(0);
    expect(res.headers.get('x-amzn-bedrock-cache-write-input-token-count')).toBe(String(write));
    expect(res.headers.get('x-amzn-bedrock-input-token-count')).toBe(String(body.usage.input_tokens));

    const events = payloads(new Uint8Array(await (await call(s, SONNET_V2, 'invoke-with-response-stream', anthropic())).arrayBuffer()));
    const start = events.find((e) => e.json.type === 'message_start')!.json.message as { usage: Record<string, number> };
    expect(start.usage).toMatchObject({ cache_read_input_tokens: write, cache_creation_input_tokens: 0 });
    expect(events.find((e) => e.json.type === 'message_delta')!.json.usage).toMatchObject({ cache_read_input_tokens: write });
    const metrics = events.at(-1)!.json['amazon-bedrock-invocationMetrics'];
    expect(metrics).toMatchObject({
      cacheReadInputTokenCount: write,
      cacheWriteInputTokenCount: 0,
      inputTokenCount: start.usage.input_tokens,
    });
  });

  it('Chat Completions: cache_control parts are cache points; prompt_tokens_details.cached_tokens reports the read', async () => {
    const s = sim();
    const chat = async () => {
      const res = await s.fetch(
        new Request('http://sim/v1/chat/completions', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: HAIKU, messages: anthropic().messages }),
        }),
      );
      return ((await res.json()) as { usage: { prompt_tokens: number; prompt_tokens_details?: { cached_tokens: number } } }).usage;
    };
    const first = await chat();
    const second = await chat();
    expect(first.prompt_tokens_details).toEqual({ cached_tokens: 0 });
    expect(second.prompt_tokens).toBe(first.prompt_tokens);
    expect(second.prompt_tokens_details!.cached_tokens).toBeGreaterThanOrEqual(1000);
    expect(second.prompt_tokens_details!.cached_tokens).toBeLessThan(second.prompt_tokens);
  });

  it('a request without cache points reports no cache fields and is not cached', async () => {
    const s = sim();
    const plain = { messages: [{ role: 'user', content: [{ text: CATALOGUE }] }] };
    for (let i = 0; i < 2; i++) {
      const usage = ((await (await call(s, HAIKU, 'converse', plain)).json()) as { usage: Record<string, number> }).usage;
      expect(Object.keys(usage).sort()).toEqual(['inputTokens', 'outputTokens', 'totalTokens']);
      expect(usage.inputTokens).toBe(Math.ceil(CATALOGUE.length / 4));
    }
  });
});
