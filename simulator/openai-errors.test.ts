import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSimulatorApp } from './app.ts';
import { startSimulator, type RunningSimulator } from './server.ts';
import { HAIKU } from './test-support.ts';

let sim: RunningSimulator;
let client: OpenAI;

beforeAll(async () => {
  sim = await startSimulator({ timeScale: 0, randomFaults: false });
  client = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: 'x', maxRetries: 0 });
});
beforeEach(() => sim.control.reset());
afterAll(() => sim.close());

const ask = (extra: Partial<OpenAI.ChatCompletionCreateParamsNonStreaming> = {}) =>
  client.chat.completions.create({ model: HAIKU, messages: [{ role: 'user', content: 'hi' }], ...extra });

async function caught(run: () => Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await run();
  } catch (error) {
    return error as InstanceType<typeof OpenAI.APIError>;
  }
  throw new Error('expected a failure');
}

describe('faults surface as the openai SDK typed errors', () => {
  it.each([
    ['throttle', OpenAI.RateLimitError, 429, 'rate_limit_error'],
    ['error', OpenAI.InternalServerError, 500, 'api_error'],
    ['timeout', OpenAI.APIError, 408, 'timeout'],
    ['unavailable', OpenAI.InternalServerError, 503, 'service_unavailable_error'],
  ] as const)('%s', async (kind, type, status, errorType) => {
    sim.control.setFault(HAIKU, { kind, count: 1 });
    const error = await caught(() => ask());
    expect(error).toBeInstanceOf(type);
    expect(error.status).toBe(status);
    expect(error.type).toBe(errorType);
    expect(sim.control.calls(HAIKU)[0]).toMatchObject({ status, fault: kind, operation: 'chat-completions' });
    await expect(ask()).resolves.toBeDefined();
  });

  it('stream-error: some chunks, then an error event the SDK throws', async () => {
    sim.control.setFault('*', { kind: 'stream-error', count: 1, exception: 'throttlingException', afterDeltas: 2 });
    const stream = await client.chat.completions.create({ model: HAIKU, messages: [{ role: 'user', content: 'hi' }], stream: true });
    let contentChunks = 0;
    const error = await caught(async () => {
      for await (const chunk of stream) if (chunk.choices[0]?.delta.content) contentChunks++;
    });
    expect(contentChunks).toBe(2);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error.type).toBe('rate_limit_error');
  });
});

describe('requests a real server refuses', () => {
  it('unknown model: 404 model_not_found', async () => {
    const error = await caught(() => ask({ model: 'gpt-nope' }));
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect(error).toMatchObject({ status: 404, type: 'invalid_request_error', param: 'model', code: 'model_not_found' });
  });

  it.each([
    ['{not json', null],
    [JSON.stringify({ model: HAIKU }), 'messages'],
    [JSON.stringify({ model: HAIKU, messages: [] }), 'messages'],
    [JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] }), 'model'],
    [JSON.stringify({ model: HAIKU, messages: [{ role: 'robot', content: 'hi' }] }), 'messages[0].role'],
    [JSON.stringify({ model: HAIKU, messages: [{ role: 'user', content: 'hi' }], temperature: 3 }), 'temperature'],
    [JSON.stringify({ model: HAIKU, messages: [{ role: 'user', content: 'hi' }], max_tokens: 0 }), 'max_tokens'],
    [JSON.stringify({ model: HAIKU, messages: [{ role: 'user', content: 'hi' }], max_tokens: 1_000_000 }), 'max_tokens'],
  ])('400 invalid_request_error for %s', async (body, param) => {
    const response = await fetch(`${sim.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { type: 'invalid_request_error', param } });
  });

  it('checks the bearer key when the simulator has one, and ignores SigV4 credentials', async () => {
    const sim = createSimulatorApp({ timeScale: 0, apiKey: 'sekret', credentials: { accessKeyId: 'AKID', secretAccessKey: 's' } });
    const call = (authorization?: string) =>
      sim.fetch(
        new Request('http://sim/v1/chat/completions', {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
          body: JSON.stringify({ model: HAIKU, messages: [{ role: 'user', content: 'hi' }] }),
        }),
      );
    expect((await call()).status).toBe(401);
    const wrong = await call('Bearer nope');
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: { code: 'invalid_api_key' } });
    expect((await call('Bearer sekret')).status).toBe(200);
    expect(sim.control.log.map((r) => r.signature)).toEqual(['unchecked', 'unchecked', 'bearer']);
  });

  it('streams over time at a non-zero time scale, not all at once', async () => {
    const slow = createSimulatorApp({ timeScale: 0.05, randomFaults: false });
    const response = await slow.fetch(
      new Request('http://sim/v1/chat/completions', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-intent': 'recommendation' },
        body: JSON.stringify({ model: HAIKU, messages: [{ role: 'user', content: 'hi' }], stream: true }),
      }),
    );
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const call = slow.control.log[0]!;
    const reader = response.body!.getReader();
    let text = '';
    let readsBeforeEnd = 0;
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      if (call.finishedAt === undefined) readsBeforeEnd++;
      text += new TextDecoder().decode(r.value);
    }
    // Streamed, not buffered: the client held content before the simulator had finished the answer.
    expect(readsBeforeEnd).toBeGreaterThan(0);
    expect(call.finishedAt).toBeDefined();
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(text).not.toContain('"usage"');
    expect(slow.control.log[0]).toMatchObject({ intent: 'recommendation', operation: 'chat-completions-stream' });
  });
});
