import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  InternalServerException,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  ModelTimeoutException,
  ThrottlingException,
} from '@aws-sdk/client-bedrock-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack } from './support/gateway.ts';

const KEY = 'test-data-plane-key';
const SONNET_V1 = 'anthropic.claude-3-5-sonnet-20240620-v1:0';
const HAIKU = 'anthropic.claude-3-5-haiku-20241022-v1:0';
let stack: Awaited<ReturnType<typeof startStack>>;
let client: BedrockRuntimeClient;

const userMessage = (text: string) => [{ role: 'user' as const, content: [{ text }] }];

beforeAll(async () => {
  stack = await startStack({ apiKeys: [KEY], timeScale: 0.1 });
  client = new BedrockRuntimeClient({
    region: 'us-east-1',
    endpoint: stack.url,
    token: { token: KEY },
    authSchemePreference: ['httpBearerAuth'],
    maxAttempts: 1,
  });
});
afterAll(async () => {
  client?.destroy();
  await stack?.close();
});

function priceOf(model: string, input: number, output: number): number {
  const p = stack.config.pricing[model]!;
  return (input * p.inputPer1k + output * p.outputPer1k) / 1000;
}

describe('Bedrock SDK through the gateway (HTTP/2, bearer token)', () => {
  it('Converse: routed answer, headers, and an observation that matches the usage and price table', async () => {
    let h2Sessions = 0;
    stack.gateway.server.http2.on('session', () => h2Sessions++);
    const before = stack.sink.observations.length;
    const out = await client.send(
      new ConverseCommand({
        modelId: 'mangaassist',
        messages: userMessage('Where is my order 123?'),
        requestMetadata: { intent: 'order_tracking', session_id: 's-conv-1' },
      }),
    );
    const text = out.output?.message?.content?.[0]?.text ?? '';
    expect(text.length).toBeGreaterThan(0);
    expect(out.usage?.outputTokens).toBeGreaterThan(0);
    const [obs] = (await stack.sink.waitFor(before + 1)).slice(before);
    expect(obs).toMatchObject({
      route: 'mangaassist',
      intent: 'order_tracking',
      sessionId: 's-conv-1',
      arm: 'default',
      configId: 'haiku-35',
      upstreamModel: HAIKU,
      operation: 'converse',
      streamed: false,
      status: 200,
      errorCode: null,
      traffic: 'live',
      inputTokens: out.usage?.inputTokens,
      outputTokens: out.usage?.outputTokens,
    });
    expect(obs!.costUsd).toBeCloseTo(priceOf(HAIKU, out.usage!.inputTokens!, out.usage!.outputTokens!), 9);
    const call = stack.sim.control.log.at(-1)!;
    expect(call).toMatchObject({
      modelId: HAIKU,
      signature: 'verified',
      inputTokens: out.usage?.inputTokens,
      outputTokens: out.usage?.outputTokens,
    });
    expect(obs!.latencyMs).toBeGreaterThan(0);
    expect(obs!.latencyMs).toBeGreaterThanOrEqual(obs!.overheadMs);
    expect(obs!.ttftMs).toBe(obs!.latencyMs);
    expect(h2Sessions).toBe(1);
  });

  it('ConverseStream: events arrive before the model has finished; usage metered from the stream', async () => {
    const before = stack.sink.observations.length;
    const out = await client.send(
      new ConverseStreamCommand({
        modelId: 'mangaassist',
        messages: userMessage('Recommend something like Vinland Saga'),
        requestMetadata: { intent: 'faq', session_id: 's-stream-1' },
      }),
    );
    const call = stack.sim.control.log.at(-1)!;
    let eventsBeforeEnd = 0;
    let text = '';
    let usage: { inputTokens?: number; outputTokens?: number } | undefined;
    for await (const event of out.stream!) {
      if (call.finishedAt === undefined) eventsBeforeEnd++;
      text += event.contentBlockDelta?.delta?.text ?? '';
      usage = event.metadata?.usage ?? usage;
    }
    expect(call.operation).toBe('converse-stream');
    expect(eventsBeforeEnd).toBeGreaterThan(0);
    expect(text.length).toBeGreaterThan(0);
    const [obs] = (await stack.sink.waitFor(before + 1)).slice(before);
    expect(obs).toMatchObject({
      operation: 'converse-stream',
      streamed: true,
      status: 200,
      inputTokens: usage?.inputTokens,
      outputTokens: usage?.outputTokens,
      configId: 'sonnet-35-v1',
    });
    expect(obs!.costUsd).toBeCloseTo(priceOf(SONNET_V1, usage!.inputTokens!, usage!.outputTokens!), 9);
    expect(obs!.ttftMs).toBeGreaterThan(0);
    expect(obs!.ttftMs!).toBeLessThan(obs!.latencyMs);
  });

  it('InvokeModel: Anthropic body in and out, configuration applied', async () => {
    const before = stack.sink.observations.length;
    const out = await client.send(
      new InvokeModelCommand({
        modelId: 'mangaassist',
        contentType: 'application/json',
        body: JSON.stringify({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 50, messages: userMessage('hello there') }),
      }),
    );
    const body = JSON.parse(new TextDecoder().decode(out.body)) as {
      content: { text: string }[];
      usage: { input_tokens: number; output_tokens: number };
    };
    expect(body.content[0]!.text.length).toBeGreaterThan(0);
    const [obs] = (await stack.sink.waitFor(before + 1)).slice(before);
    expect(obs).toMatchObject({
      operation: 'invoke',
      intent: 'other',
      arm: 'unassigned',
      inputTokens: body.usage.input_tokens,
      outputTokens: body.usage.output_tokens,
    });
    expect(stack.sim.control.log.at(-1)).toMatchObject({ modelId: SONNET_V1, signature: 'verified' });
  });

  it('InvokeModelWithResponseStream: chunks stream through and usage is metered', async () => {
    const before = stack.sink.observations.length;
    const out = await client.send(
      new InvokeModelWithResponseStreamCommand({
        modelId: 'mangaassist',
        contentType: 'application/json',
        body: JSON.stringify({
          anthropic_version: 'bedrock-2023-05-31',
          max_tokens: 300,
          messages: userMessage('any deals on One Piece?'),
        }),
      }),
    );
    const call = stack.sim.control.log.at(-1)!;
    let eventsBeforeEnd = 0;
    let outputTokens = 0;
    let inputTokens = 0;
    for await (const event of out.body!) {
      if (call.finishedAt === undefined) eventsBeforeEnd++;
      const json = JSON.parse(new TextDecoder().decode(event.chunk!.bytes)) as {
        type: string;
        usage?: { output_tokens: number };
        message?: { usage: { input_tokens: number } };
      };
      if (json.type === 'message_start') inputTokens = json.message!.usage.input_tokens;
      if (json.type === 'message_delta') outputTokens = json.usage!.output_tokens;
    }
    expect(call.operation).toBe('invoke-with-response-stream');
    expect(eventsBeforeEnd).toBeGreaterThan(0);
    const [obs] = (await stack.sink.waitFor(before + 1)).slice(before);
    expect(obs).toMatchObject({ operation: 'invoke-with-response-stream', streamed: true, status: 200, inputTokens, outputTokens });
    expect(outputTokens).toBeGreaterThan(0);
  });
});

describe('upstream failures reach the SDK as typed AWS exceptions', () => {
  const cases = [
    ['throttle', ThrottlingException, 429],
    ['error', InternalServerException, 500],
    ['timeout', ModelTimeoutException, 408],
  ] as const;
  for (const [kind, type, status] of cases) {
    it(`${kind} -> ${type.name}`, async () => {
      stack.sim.control.setFault(HAIKU, { kind, count: 1 });
      const before = stack.sink.observations.length;
      const err = await client
        .send(
          new ConverseCommand({
            modelId: 'mangaassist',
            messages: userMessage('hi'),
            requestMetadata: { intent: 'chitchat', session_id: `s-${kind}` },
          }),
        )
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(type);
      const [obs] = (await stack.sink.waitFor(before + 1)).slice(before);
      expect(obs).toMatchObject({ status, errorCode: type.name, configId: 'haiku-35' });
    });
  }

  it('an exception frame mid-stream reaches the SDK typed, and the observation carries it', async () => {
    stack.sim.control.setFault(SONNET_V1, { kind: 'stream-error', exception: 'throttlingException', afterDeltas: 2, count: 1 });
    const before = stack.sink.observations.length;
    const out = await client.send(
      new ConverseStreamCommand({
        modelId: 'mangaassist',
        messages: userMessage('hi'),
        requestMetadata: { intent: 'faq', session_id: 's-midstream' },
      }),
    );
    let deltas = 0;
    const err = await (async () => {
      for await (const event of out.stream!) if (event.contentBlockDelta) deltas++;
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ThrottlingException);
    expect(deltas).toBe(2);
    const [obs] = (await stack.sink.waitFor(before + 1)).slice(before);
    expect(obs).toMatchObject({ streamed: true, status: 429, errorCode: 'ThrottlingException' });
  });

  it('a gateway-side timeout is a ModelTimeoutException', async () => {
    const slow = await startStack({ upstreamTimeoutMs: 200 });
    const c = new BedrockRuntimeClient({
      region: 'us-east-1',
      endpoint: slow.url,
      token: { token: 'x' },
      authSchemePreference: ['httpBearerAuth'],
      maxAttempts: 1,
    });
    try {
      slow.sim.control.setFault('*', { kind: 'delay', delayMs: 1_000, count: 1 });
      const err = await c.send(new ConverseCommand({ modelId: 'mangaassist', messages: userMessage('hi') })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ModelTimeoutException);
      const [obs] = await slow.sink.waitFor(1);
      expect(obs).toMatchObject({ status: 408, errorCode: 'upstream_timeout' });
    } finally {
      c.destroy();
      await slow.close();
    }
  });
});
