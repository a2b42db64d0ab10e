import { join } from 'node:path';
import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  ThrottlingException,
} from '@aws-sdk/client-bedrock-runtime';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGatewayConfig } from '../gateway/config/load.ts';
import type { Observation } from '../schema/observation.ts';
import { readObservations } from '../stores/observations/sqlite.ts';
import { startStack } from './support/gateway.ts';

const KEY = 'fallback-test-key';
const HAIKU = 'anthropic.claude-3-5-haiku-20241022-v1:0';
const SONNET_V2 = 'anthropic.claude-3-5-sonnet-20241022-v2:0';

/** The shipped configuration, with Haiku (order tracking) falling back to Sonnet 3.5 v2, then Sonnet 3.5 v1. */
function configWithFallbacks() {
  const config = loadGatewayConfig('config/mangaassist.json');
  const haiku = config.configs.find((c) => c.id === 'haiku-35')!;
  haiku.fallbacks = ['sonnet-35-v2', 'sonnet-35-v1'];
  return config;
}

let stack: Awaited<ReturnType<typeof startStack>>;
let client: BedrockRuntimeClient;
let db: Database.Database;

beforeAll(async () => {
  // Haiku's first four calls are throttled by the simulator's throttling profile.
  stack = await startStack({
    apiKeys: [KEY],
    durable: true,
    config: configWithFallbacks(),
    throttling: { [HAIKU]: { first: 4 } },
    fallback: { maxAttempts: 3, budgetMs: 5_000, baseDelayMs: 5, maxDelayMs: 20 },
  });
  db = new Database(join(stack.dataDir!, 'gateway.db'), { readonly: true });
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
  db?.close();
  await stack?.close();
});

const metadata = (session: string) => ({ intent: 'order_tracking', session_id: session });
const messages = [{ role: 'user' as const, content: [{ text: 'Where is my order 42?' }] }];
const anthropicBody = (text: string) =>
  JSON.stringify({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 200, messages: [{ role: 'user', content: text }] });
const routing = { 'x-intent': 'order_tracking' };

/** The SQLite row of the next request, once the gateway's batch reached the store. */
async function nextRow(count: number): Promise<Observation> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const rows = readObservations(db);
    if (rows.length >= count) return rows[count - 1]!;
    if (Date.now() > deadline) throw new Error(`fewer than ${count} observation rows after 5 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function priceOf(model: string, input: number, output: number): number {
  const p = stack.config.pricing[model]!;
  return (input * p.inputPer1k + output * p.outputPer1k) / 1000;
}

/** Sends an invoke-style command with the routing headers (its body has no request metadata). */
function withRouting<T extends { middlewareStack: { add: (...args: never[]) => void } }>(command: T): T {
  (command.middlewareStack.add as (mw: unknown, opts: unknown) => void)(
    (next: (args: { request: { headers: Record<string, string> } }) => unknown) =>
      (args: { request: { headers: Record<string, string> } }) => {
        Object.assign(args.request.headers, routing);
        return next(args);
      },
    { step: 'build' },
  );
  return command;
}

describe('fallbacks with the AWS SDK against a throttling simulator profile', () => {
  it('Converse: the throttled Haiku call is answered by Sonnet 3.5 v2; attempts=2 and the serving configuration are stored', async () => {
    const out = await client.send(new ConverseCommand({ modelId: 'mangaassist', messages, requestMetadata: metadata('s-fb-1') }));
    expect(out.output?.message?.content?.[0]?.text?.length).toBeGreaterThan(0);
    const row = await nextRow(1);
    expect(row).toMatchObject({
      configId: 'haiku-35',
      arm: 'default',
      servedConfigId: 'sonnet-35-v2',
      attempts: 2,
      upstreamModel: SONNET_V2,
      status: 200,
      errorCode: null,
      inputTokens: out.usage?.inputTokens,
      outputTokens: out.usage?.outputTokens,
    });
    expect(row.costUsd).toBeCloseTo(priceOf(SONNET_V2, out.usage!.inputTokens!, out.usage!.outputTokens!), 9);
    expect(row.failedAttempts).toEqual([{ configId: 'haiku-35', status: 429, errorCode: 'ThrottlingException', ms: expect.any(Number) }]);
    expect(stack.sim.control.calls(HAIKU).map((c) => c.status)).toEqual([429]);
  });

  it('ConverseStream: the throttled stream is streamed from the fallback, whole', async () => {
    const out = await client.send(new ConverseStreamCommand({ modelId: 'mangaassist', messages, requestMetadata: metadata('s-fb-2') }));
    let text = '';
    let outputTokens = 0;
    for await (const event of out.stream!) {
      text += event.contentBlockDelta?.delta?.text ?? '';
      outputTokens = event.metadata?.usage?.outputTokens ?? outputTokens;
    }
    expect(text.length).toBeGreaterThan(0);
    const row = await nextRow(2);
    expect(row).toMatchObject({ streamed: true, attempts: 2, servedConfigId: 'sonnet-35-v2', status: 200, outputTokens });
  });

  it('InvokeModel and InvokeModelWithResponseStream fall back too', async () => {
    const whole = await client.send(
      withRouting(new InvokeModelCommand({ modelId: 'mangaassist', contentType: 'application/json', body: anthropicBody('order 7?') })),
    );
    expect(JSON.parse(new TextDecoder().decode(whole.body)).content[0].text.length).toBeGreaterThan(0);
    expect(await nextRow(3)).toMatchObject({ operation: 'invoke', attempts: 2, servedConfigId: 'sonnet-35-v2', status: 200 });
    const streamed = await client.send(
      withRouting(
        new InvokeModelWithResponseStreamCommand({
          modelId: 'mangaassist',
          contentType: 'application/json',
          body: anthropicBody('order 8?'),
        }),
      ),
    );
    let chunks = 0;
    for await (const event of streamed.body!) if (event.chunk) chunks += 1;
    expect(chunks).toBeGreaterThan(2);
    expect(await nextRow(4)).toMatchObject({ operation: 'invoke-with-response-stream', attempts: 2, servedConfigId: 'sonnet-35-v2' });
    expect(stack.sim.control.calls(HAIKU).every((c) => c.status === 429)).toBe(true);
  });

  it('once Haiku answers again, no fallback is taken', async () => {
    await client.send(new ConverseCommand({ modelId: 'mangaassist', messages, requestMetadata: metadata('s-fb-3') }));
    expect(await nextRow(5)).toMatchObject({ attempts: 1, servedConfigId: null, upstreamModel: HAIKU, failedAttempts: null });
  });

  it('no retry once the first byte went out: a throttling frame mid-stream reaches the client as ThrottlingException', async () => {
    stack.sim.control.setFault(HAIKU, { kind: 'stream-error', exception: 'throttlingException', afterDeltas: 2, count: 1 });
    const sonnetCalls = stack.sim.control.calls(SONNET_V2).length;
    const out = await client.send(new ConverseStreamCommand({ modelId: 'mangaassist', messages, requestMetadata: metadata('s-fb-4') }));
    let text = '';
    const error = await (async () => {
      try {
        for await (const event of out.stream!) text += event.contentBlockDelta?.delta?.text ?? '';
      } catch (err) {
        return err;
      }
      return null;
    })();
    expect(text.length).toBeGreaterThan(0);
    expect(error).toBeInstanceOf(ThrottlingException);
    expect(await nextRow(6)).toMatchObject({ attempts: 1, servedConfigId: null, errorCode: 'ThrottlingException', status: 429 });
    expect(stack.sim.control.calls(SONNET_V2)).toHaveLength(sonnetCalls);
  });

  it('when every configuration throttles, the client gets ThrottlingException after three attempts', async () => {
    stack.sim.control.setFault('*', { kind: 'throttle', count: 3 });
    const error = await client
      .send(new ConverseCommand({ modelId: 'mangaassist', messages, requestMetadata: metadata('s-fb-5') }))
      .catch((e) => e);
    expect(error).toBeInstanceOf(ThrottlingException);
    expect(await nextRow(7)).toMatchObject({
      attempts: 3,
      configId: 'haiku-35',
      servedConfigId: 'sonnet-35-v1',
      errorCode: 'ThrottlingException',
      status: 429,
      failedAttempts: [
        { configId: 'haiku-35', status: 429, errorCode: 'ThrottlingException' },
        { configId: 'sonnet-35-v2', status: 429, errorCode: 'ThrottlingException' },
      ],
    });
  });
});
