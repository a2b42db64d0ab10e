import { BedrockRuntimeClient, ConverseCommand, ConverseStreamCommand } from '@aws-sdk/client-bedrock-runtime';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGatewayConfig, parseGatewayConfig } from '../gateway/config/load.ts';
import { startStack } from './support/gateway.ts';

const CUSTOM = 'sagemaker-custom-endpoint';
const SONNET_V1 = 'anthropic.claude-3-5-sonnet-20240620-v1:0';
let stack: Awaited<ReturnType<typeof startStack>>;
let openai: OpenAI;
let bedrock: BedrockRuntimeClient;

beforeAll(async () => {
  // The simulator's URL is known only once it runs: start once to learn it, then with the final configuration.
  const shipped = loadGatewayConfig('config/mangaassist.json');
  stack = await startStack({
    timeScale: 0.02,
    configFor: (simUrl) =>
      parseGatewayConfig({
        ...shipped,
        configs: [
          ...shipped.configs,
          {
            id: 'custom-ft-openai',
            upstream: { provider: 'openai', baseUrl: `${simUrl}/v1`, model: CUSTOM },
            maxTokens: 300,
            temperature: 0.1,
            systemPromptVersion: 'v1.0',
          },
        ],
        routes: [
          ...shipped.routes.map((r) => ({ ...r, table: { ...r.table, order_tracking: 'custom-ft-openai' } })),
          { name: 'mangaassist-openai', intents: shipped.routes[0]!.intents, default: 'custom-ft-openai' },
        ],
      }),
  });
  openai = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  bedrock = new BedrockRuntimeClient({
    region: 'us-east-1',
    endpoint: stack.url,
    token: { token: 'x' },
    authSchemePreference: ['httpBearerAuth'],
    maxAttempts: 1,
  });
});
afterAll(async () => {
  bedrock?.destroy();
  await stack?.close();
});

const priceOf = (model: string, input: number, output: number) => {
  const p = stack.config.pricing[model]!;
  return (input * p.inputPer1k + output * p.outputPer1k) / 1000;
};
const lastObservation = async (before: number) => (await stack.sink.waitFor(before + 1))[before]!;

describe('OpenAI SDK against /v1', () => {
  it('gets a non-streamed answer with usage and x-gateway-* headers (OpenAI-compatible upstream, passed through)', async () => {
    const before = stack.sink.observations.length;
    const { data, response } = await openai.chat.completions
      .create({
        model: 'mangaassist-openai',
        messages: [{ role: 'user', content: 'where is my order?' }],
        metadata: { intent: 'order_tracking', session_id: 'oa-1' },
      })
      .withResponse();
    expect(data.choices[0]!.message.content!.length).toBeGreaterThan(0);
    expect(data.usage!.completion_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-gateway-config')).toBe('custom-ft-openai');
    expect(response.headers.get('x-gateway-arm')).toBe('default');
    expect(response.headers.get('x-gateway-request-id')).toBeTruthy();
    expect(Number(response.headers.get('x-gateway-overhead-ms'))).toBeGreaterThan(0);
    const obs = await lastObservation(before);
    expect(obs).toMatchObject({
      operation: 'chat-completions',
      upstreamModel: CUSTOM,
      intent: 'order_tracking',
      sessionId: 'oa-1',
      inputTokens: data.usage!.prompt_tokens,
      outputTokens: data.usage!.completion_tokens,
      status: 200,
      stopReason: 'end_turn',
    });
    expect(obs.costUsd).toBeCloseTo(priceOf(CUSTOM, data.usage!.prompt_tokens, data.usage!.completion_tokens), 9);
    expect(stack.sim.control.log.at(-1)).toMatchObject({ modelId: CUSTOM, outputTokens: data.usage!.completion_tokens });
  });

  it('streams with usage when asked, and records usage even when not asked', async () => {
    for (const includeUsage of [true, false]) {
      const before = stack.sink.observations.length;
      const stream = await openai.chat.completions.create({
        model: 'mangaassist-openai',
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
        ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
      });
      let text = '';
      let usage: OpenAI.CompletionUsage | undefined;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta?.content ?? '';
        usage = chunk.usage ?? usage;
      }
      expect(text.length).toBeGreaterThan(0);
      const obs = await lastObservation(before);
      const call = stack.sim.control.log.at(-1)!;
      expect(obs).toMatchObject({
        operation: 'chat-completions-stream',
        streamed: true,
        outputTokens: call.outputTokens,
        inputTokens: call.inputTokens,
        // The finish chunk comes after the content, and is still read for the stop reason.
        stopReason: 'end_turn',
      });
      expect(obs.ttftMs).toBeGreaterThan(0);
      if (includeUsage) expect(usage?.completion_tokens).toBe(call.outputTokens);
      else expect(usage).toBeUndefined();
    }
  });

  it('is routed to a Bedrock configuration and translated, streamed and not', async () => {
    const before = stack.sink.observations.length;
    const done = await openai.chat.completions.create({
      model: 'mangaassist',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'recommend a manga' },
      ],
      metadata: { intent: 'faq', session_id: 'oa-2' },
    });
    expect(done.choices[0]!.finish_reason).toBe('stop');
    const obs = await lastObservation(before);
    expect(obs).toMatchObject({
      configId: 'sonnet-35-v1',
      upstreamModel: SONNET_V1,
      inputTokens: done.usage!.prompt_tokens,
      outputTokens: done.usage!.completion_tokens,
    });
    expect(obs.costUsd).toBeCloseTo(priceOf(SONNET_V1, done.usage!.prompt_tokens, done.usage!.completion_tokens), 9);
    expect(stack.sim.control.log.at(-1)).toMatchObject({
      modelId: SONNET_V1,
      operation: 'converse',
      outputTokens: done.usage!.completion_tokens,
    });

    const stream = await openai.chat.completions.create({
      model: 'mangaassist',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'faq please' }],
      metadata: { intent: 'faq' },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      usage = chunk.usage ?? usage;
    }
    const call = stack.sim.control.log.at(-1)!;
    expect(call).toMatchObject({ modelId: SONNET_V1, operation: 'converse-stream' });
    expect(usage).toMatchObject({ prompt_tokens: call.inputTokens, completion_tokens: call.outputTokens });
    expect(text.split(' ').filter(Boolean).length).toBeGreaterThan(0);
  });

  it('lists routes and configurations as models', async () => {
    const ids = (await openai.models.list()).data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(['mangaassist', 'mangaassist-openai', 'config:custom-ft-openai', 'config:haiku-35']));
  });
});

describe('Bedrock SDK routed by the table to an OpenAI-compatible configuration', () => {
  it('gets a translated Converse answer with correct usage and cost', async () => {
    const before = stack.sink.observations.length;
    const out = await bedrock.send(
      new ConverseCommand({
        modelId: 'mangaassist',
        messages: [{ role: 'user', content: [{ text: 'where is order 5?' }] }],
        requestMetadata: { intent: 'order_tracking', session_id: 'bd-1' },
      }),
    );
    const call = stack.sim.control.log.at(-1)!;
    expect(call).toMatchObject({ modelId: CUSTOM });
    expect(out.usage).toMatchObject({ inputTokens: call.inputTokens, outputTokens: call.outputTokens });
    expect(out.output!.message!.content![0]!.text!.length).toBeGreaterThan(0);
    const obs = await lastObservation(before);
    expect(obs).toMatchObject({
      configId: 'custom-ft-openai',
      operation: 'converse',
      inputTokens: call.inputTokens,
      outputTokens: call.outputTokens,
    });
    expect(obs.costUsd).toBeCloseTo(priceOf(CUSTOM, call.inputTokens, call.outputTokens), 9);
  });

  it('gets a translated ConverseStream with usage in its metadata event', async () => {
    const out = await bedrock.send(
      new ConverseStreamCommand({
        modelId: 'mangaassist',
        messages: [{ role: 'user', content: [{ text: 'track it' }] }],
        requestMetadata: { intent: 'order_tracking' },
      }),
    );
    let text = '';
    let usage: { inputTokens?: number; outputTokens?: number } | undefined;
    let stop: string | undefined;
    for await (const event of out.stream!) {
      text += event.contentBlockDelta?.delta?.text ?? '';
      usage = event.metadata?.usage ?? usage;
      stop = event.messageStop?.stopReason ?? stop;
    }
    const call = stack.sim.control.log.at(-1)!;
    expect(text.length).toBeGreaterThan(0);
    expect(stop).toBeDefined();
    expect(usage).toMatchObject({ inputTokens: call.inputTokens, outputTokens: call.outputTokens });
  });
});

describe('OpenAI-shaped errors', () => {
  it('malformed bodies are 400 BadRequestError naming the problem', async () => {
    const res = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"model": "mangaassist"',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'malformed_json' } });
    const err = await openai.chat.completions.create({ model: 'mangaassist', messages: [] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toMatch(/messages must not be empty/);
  });

  it('upstream failures on either provider reach the SDK as typed errors, and are recorded', async () => {
    stack.sim.control.setFault(CUSTOM, { kind: 'throttle', count: 1 });
    const before = stack.sink.observations.length;
    const native = await openai.chat.completions
      .create({ model: 'mangaassist-openai', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(native).toBeInstanceOf(OpenAI.RateLimitError);
    expect(await lastObservation(before)).toMatchObject({ status: 429, errorCode: 'ThrottlingException' });

    stack.sim.control.setFault(SONNET_V1, { kind: 'error', count: 1 });
    const translated = await openai.chat.completions
      .create({ model: 'mangaassist', messages: [{ role: 'user', content: 'x' }], metadata: { intent: 'faq' } })
      .catch((e: unknown) => e);
    expect(translated).toBeInstanceOf(OpenAI.InternalServerError);
    expect(await lastObservation(before + 1)).toMatchObject({ status: 500, errorCode: 'InternalServerException' });
  });

  it('content the other protocol cannot carry (an image) is refused with a clear error', async () => {
    const err = await openai.chat.completions
      .create({
        model: 'mangaassist',
        messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/cover.png' } }] }],
        metadata: { intent: 'faq' },
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toMatch(/"image_url" parts cannot be translated/);
    // The refusal came after routing: it is recorded, and the request does not linger as in flight.
    const obs = stack.sink.observations.at(-1)!;
    expect(obs).toMatchObject({ status: 400, errorCode: 'invalid_request', configId: 'sonnet-35-v1' });
    expect(stack.gateway.lifecycle.active).toBe(0);
  });
});
