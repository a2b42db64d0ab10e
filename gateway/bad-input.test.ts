import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../lib/json-depth.ts';
import { MemoryObservationSink } from '../stores/observations/memory.ts';
import { createGatewayApp } from './app.ts';
import { staticApiKeys } from './auth.ts';
import { loadGatewayConfig } from './config/load.ts';
import { staticConfig } from './deps.ts';
import { GatewayError } from './errors.ts';
import { Lifecycle } from './lifecycle.ts';
import { initBucketing } from './routing/bucket.ts';
import { noTelemetry } from './telemetry/interface.ts';
import type { UpstreamCall, UpstreamClient } from './upstreams/interface.ts';

const KEY = 'k-bad-input';
const MAX_BODY = 64 * 1024;

/** An upstream that keeps every call (so a test can show none was made) and answers each as unavailable. */
function refusingUpstream(calls: UpstreamCall[]): UpstreamClient {
  return {
    call: async (call) => {
      calls.push(call);
      return { ok: false, error: new GatewayError('upstream_unavailable', 'test upstream') };
    },
  };
}

let app: ReturnType<typeof createGatewayApp>;
const sink = new MemoryObservationSink();
const calls: UpstreamCall[] = [];

beforeAll(async () => {
  await initBucketing();
  app = createGatewayApp({
    config: staticConfig(loadGatewayConfig('config/mangaassist.json')),
    upstreams: { bedrock: refusingUpstream(calls), openai: refusingUpstream(calls) },
    sink,
    telemetry: noTelemetry,
    auth: await staticApiKeys([KEY]),
    lifecycle: new Lifecycle(),
    maxBodyBytes: MAX_BODY,
    upstreamIdleTimeoutMs: 30_000,
    now: () => performance.now(),
  });
});

/** `depth` nested arrays, as a message's content. */
function deep(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

function post(path: string, body: string): Promise<Response> {
  const headers = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
  return Promise.resolve(app.request(path, { method: 'POST', body, headers }));
}

const bedrockOps = ['converse', 'converse-stream', 'invoke', 'invoke-with-response-stream'];
const limitMessage = `request body nests objects and arrays deeper than the limit of ${MAX_JSON_DEPTH} levels`;

describe(`JSON nested deeper than ${MAX_JSON_DEPTH} levels is refused with 400 before anything recurses over it`, () => {
  for (const operation of bedrockOps) {
    it(`Bedrock ${operation}: 10,000 levels -> 400 ValidationException naming the limit`, async () => {
      const res = await post(`/model/mangaassist/${operation}`, `{"messages":[{"role":"user","content":${deep(10_000)}}]}`);
      expect(res.status).toBe(400);
      expect(res.headers.get('x-amzn-errortype')).toBe('ValidationException');
      expect(await res.json()).toMatchObject({ message: limitMessage });
    });
  }

  it("OpenAI chat completions: 10,000 levels -> 400 in OpenAI's shape", async () => {
    const res = await post('/v1/chat/completions', `{"model":"mangaassist","messages":[{"role":"user","content":${deep(10_000)}}]}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'json_too_deep', type: 'invalid_request_error', message: limitMessage } });
  });

  it("feedback: 10,000 levels -> 400 in the gateway's shape", async () => {
    const res = await post('/v1/feedback', `{"events":${deep(10_000)}}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'json_too_deep', message: limitMessage } });
  });

  it(`a body nested exactly ${MAX_JSON_DEPTH} levels is not refused for its depth`, async () => {
    // Two levels for the body and its messages array, one for the message: the content fills the rest.
    const res = await post('/model/mangaassist/converse', `{"messages":[{"role":"user","content":${deep(MAX_JSON_DEPTH - 3)}}],"x":"y"}`);
    expect(res.status).toBe(503);
    expect(calls.length).toBe(1);
    await sink.waitFor(1);
    calls.length = 0;
    sink.observations.length = 0;
  });
});

describe('only the four Bedrock operations exist under /model/{id}/', () => {
  const body = JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'hi' }] }] });
  for (const operation of ['chat-completions', 'chat-completions-stream', 'summarise', 'Converse']) {
    it(`POST /model/mangaassist/${operation} -> 404 UnknownOperationException, nothing forwarded`, async () => {
      const res = await post(`/model/mangaassist/${operation}`, body);
      expect(res.status).toBe(404);
      expect(res.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
      const { message } = (await res.json()) as { message: string };
      expect(message).toBe(`unknown operation "${operation}": use one of ${bedrockOps.join(', ')}`);
    });
  }
  it("a deeper path under /model/ is a 404 in AWS's shape too", async () => {
    const res = await post('/model/mangaassist/converse/extra', body);
    expect(res.status).toBe(404);
    expect(res.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
  });
});

describe("a body over the size limit gets 413 in its route family's shape", () => {
  const big = 'x'.repeat(MAX_BODY + 1);
  it('Bedrock route: AWS shape', async () => {
    const res = await post('/model/mangaassist/converse', big);
    expect(res.status).toBe(413);
    expect(res.headers.get('x-amzn-errortype')).toBe('ValidationException');
    expect(((await res.json()) as { message: string }).message).toContain(`${MAX_BODY}-byte limit`);
  });
  it('OpenAI route: OpenAI shape', async () => {
    const res = await post('/v1/chat/completions', big);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: 'payload_too_large', type: 'invalid_request_error' } });
  });
});

it('no bad input above reached an upstream or wrote an observation', () => {
  expect(calls).toEqual([]);
  expect(sink.observations).toEqual([]);
});
