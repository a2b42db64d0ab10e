import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  type SystemContentBlock,
  type TokenUsage,
} from '@aws-sdk/client-bedrock-runtime';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGatewayConfig, parseGatewayConfig } from '../gateway/config/load.ts';
import type { Observation } from '../schema/observation.ts';
import { startStack } from './support/gateway.ts';

const HAIKU = 'anthropic.claude-3-5-haiku-20241022-v1:0';
/** The shipped Haiku prices, USD per 1K tokens: input, output, cache read (0.1x input), cache write (1.25x input). */
const HAIKU_PRICE = { input: 0.001, output: 0.005, read: 0.0001, write: 0.00125 };
const POLICY = 'Store policy: '.padEnd(6000, 'returns within thirty days, free shipping over fifty dollars, ');
/** A prefix of its own for the OpenAI tests, so they do not read what the Converse tests cached. */
const CHAT_POLICY = 'Chat policy: '.padEnd(6000, 'orders ship from Tokyo within two days, tracking by email, ');

let stack: Awaited<ReturnType<typeof startStack>>;
let bedrock: BedrockRuntimeClient;
let openai: OpenAI;

beforeAll(async () => {
  const shipped = loadGatewayConfig('config/mangaassist.json');
  stack = await startStack({
    timeScale: 0.01,
    configFor: (simUrl) =>
      parseGatewayConfig({
        ...shipped,
        configs: [
          ...shipped.configs,
          { id: 'haiku-openai', upstream: { provider: 'openai', baseUrl: `${simUrl}/v1`, model: HAIKU }, maxTokens: 300 },
        ],
      }),
  });
  bedrock = new BedrockRuntimeClient({
    region: 'us-east-1',
    endpoint: stack.url,
    token: { token: 'x' },
    authSchemePreference: ['httpBearerAuth'],
    maxAttempts: 1,
  });
  openai = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});
afterAll(async () => {
  bedrock?.destroy();
  await stack?.close();
});

/** The observations recorded since `before`, once there are `n` more. */
async function newObservations(before: number, n: number): Promise<Observation[]> {
  return (await stack.sink.waitFor(before + n)).slice(before);
}

function haikuCost(o: Observation): number {
  const p = HAIKU_PRICE;
  return (
    (o.inputTokens * p.input +
      o.outputTokens * p.output +
      (o.cacheReadInputTokens ?? 0) * p.read +
      (o.cacheWriteInputTokens ?? 0) * p.write) /
    1000
  );
}

/** Sum of `gateway_tokens_total` samples with these labels. */
async function tokenMetric(labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${stack.url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('gateway_tokens_total{')) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) sum += Number(line.split(' ').at(-1));
  }
  return sum;
}

const system: SystemContentBlock[] = [{ text: POLICY }, { cachePoint: { type: 'default' } }];

describe('prompt caching through the gateway (AWS SDK over sockets)', () => {
  it('the same Converse request with a cachePoint twice: the second reads the cache, its cost uses the cache prices, /metrics counts it', async () => {
    const before = stack.sink.observations.length;
    const ask = () =>
      bedrock.send(
        new ConverseCommand({
          modelId: 'config:haiku-35',
          system,
          messages: [{ role: 'user', content: [{ text: 'Can I return an opened box set?' }] }],
          requestMetadata: { intent: 'faq', session_id: 'cache-1' },
        }),
      );
    const first = await ask();
    const second = await ask();
    expect(first.usage?.cacheWriteInputTokens).toBeGreaterThan(1000);
    expect(first.usage?.cacheReadInputTokens).toBe(0);
    expect(second.usage?.cacheReadInputTokens).toBeGreaterThan(0);
    expect(second.usage?.cacheReadInputTokens).toBe(first.usage?.cacheWriteInputTokens);
    expect(second.usage?.cacheWriteInputTokens).toBe(0);

    const [o1, o2] = await newObservations(before, 2);
    for (const [o, out] of [
      [o1!, first],
      [o2!, second],
    ] as const) {
      expect(o).toMatchObject({
        configId: 'haiku-35',
        upstreamModel: HAIKU,
        inputTokens: out.usage!.inputTokens,
        outputTokens: out.usage!.outputTokens,
        cacheReadInputTokens: out.usage!.cacheReadInputTokens,
        cacheWriteInputTokens: out.usage!.cacheWriteInputTokens,
      });
      expect(Math.abs(o.costUsd! - haikuCost(o))).toBeLessThan(1e-9);
    }
    // The same tokens billed as plain input would cost more: the cache prices were used.
    const asInput = ((o2!.inputTokens + o2!.cacheReadInputTokens!) * HAIKU_PRICE.input + o2!.outputTokens * HAIKU_PRICE.output) / 1000;
    expect(asInput - o2!.costUsd!).toBeGreaterThan(1e-6);

    await stack.gateway.sink.flush();
    const rows = stack.sink.observations.filter((o) => o.configId === 'haiku-35');
    const sum = (f: (o: Observation) => number | null | undefined) => rows.reduce((a, o) => a + (f(o) ?? 0), 0);
    expect(await tokenMetric({ config: 'haiku-35', gen_ai_token_type: 'cache_read' })).toBe(sum((o) => o.cacheReadInputTokens));
    expect(await tokenMetric({ config: 'haiku-35', gen_ai_token_type: 'cache_write' })).toBe(sum((o) => o.cacheWriteInputTokens));
    expect(await tokenMetric({ config: 'haiku-35', gen_ai_token_type: 'input' })).toBe(sum((o) => o.inputTokens));
    expect(await tokenMetric({ config: 'haiku-35', gen_ai_token_type: 'cache_read' })).toBeGreaterThan(0);
  });

  it('ConverseStream: the SDK reads the cache counts from the metadata event, and the observation matches', async () => {
    const before = stack.sink.observations.length;
    const ask = async () => {
      const out = await bedrock.send(
        new ConverseStreamCommand({
          modelId: 'config:haiku-35',
          system,
          messages: [{ role: 'user', content: [{ text: 'Do you ship to Canada?' }] }],
        }),
      );
      let usage: TokenUsage | undefined;
      for await (const event of out.stream!) if (event.metadata) usage = event.metadata.usage;
      return usage!;
    };
    await ask();
    const usage = await ask();
    expect(usage.cacheReadInputTokens).toBeGreaterThan(1000);
    const [, o] = await newObservations(before, 2);
    expect(o).toMatchObject({
      operation: 'converse-stream',
      cacheReadInputTokens: usage.cacheReadInputTokens,
      inputTokens: usage.inputTokens,
    });
    expect(Math.abs(o!.costUsd! - haikuCost(o!))).toBeLessThan(1e-9);
  });
});

describe('prompt caching with the OpenAI SDK', () => {
  const messages = [
    { role: 'system', content: [{ type: 'text', text: CHAT_POLICY, cache_control: { type: 'ephemeral' } }] },
    { role: 'user', content: 'Where is my order 1234?' },
  ] as unknown as OpenAI.Chat.ChatCompletionMessageParam[];

  it('a chat call translated to a Bedrock configuration reports cached tokens in usage.prompt_tokens_details', async () => {
    const before = stack.sink.observations.length;
    const ask = () => openai.chat.completions.create({ model: 'mangaassist', messages, metadata: { intent: 'order_tracking' } });
    const first = await ask();
    const second = await ask();
    expect(first.usage?.prompt_tokens_details?.cached_tokens).toBe(0);
    expect(second.usage?.prompt_tokens_details?.cached_tokens).toBeGreaterThan(1000);
    expect(second.usage?.prompt_tokens).toBe(first.usage?.prompt_tokens);
    const [, o] = await newObservations(before, 2);
    expect(o).toMatchObject({
      configId: 'haiku-35',
      cacheReadInputTokens: second.usage!.prompt_tokens_details!.cached_tokens,
      inputTokens: second.usage!.prompt_tokens - second.usage!.prompt_tokens_details!.cached_tokens!,
    });
    expect(Math.abs(o!.costUsd! - haikuCost(o!))).toBeLessThan(1e-9);
  });

  it('a streamed chat call passed through to an OpenAI-compatible configuration reports cached tokens', async () => {
    const before = stack.sink.observations.length;
    const ask = async () => {
      const stream = await openai.chat.completions.create({
        model: 'config:haiku-openai',
        messages,
        stream: true,
        stream_options: { include_usage: true },
      });
      let usage: OpenAI.CompletionUsage | null | undefined;
      for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
      return usage!;
    };
    await ask();
    const usage = await ask();
    expect(usage.prompt_tokens_details?.cached_tokens).toBeGreaterThan(1000);
    const [, o] = await newObservations(before, 2);
    expect(o).toMatchObject({
      configId: 'haiku-openai',
      operation: 'chat-completions-stream',
      cacheReadInputTokens: usage.prompt_tokens_details!.cached_tokens,
      inputTokens: usage.prompt_tokens - usage.prompt_tokens_details!.cached_tokens!,
    });
    expect(Math.abs(o!.costUsd! - haikuCost(o!))).toBeLessThan(1e-9);
  });
});
