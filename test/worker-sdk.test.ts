import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  InternalServerException,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalEdge, type LocalEdge } from '../gateway/edge/local.ts';
import type { Observation } from '../schema/observation.ts';
import { dynamoObservationStore } from '../stores/observations/dynamodb.ts';
import { SIM_CREDENTIALS, startStack } from './support/gateway.ts';

const HAIKU = 'anthropic.claude-3-5-haiku-20241022-v1:0';
const SONNET_V1 = 'anthropic.claude-3-5-sonnet-20240620-v1:0';
let node: Awaited<ReturnType<typeof startStack>>;
let edge: LocalEdge;
let workerSdk: BedrockRuntimeClient;
let nodeSdk: BedrockRuntimeClient;
let dynamo: DynamoDBClient;

/** The AWS SDK over HTTP/1.1 (the local Workers runtime speaks HTTP/1.1 only). */
const sdkFor = (endpoint: string) =>
  new BedrockRuntimeClient({
    region: 'us-east-1',
    endpoint,
    token: { token: 'unused' },
    authSchemePreference: ['httpBearerAuth'],
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler(),
  });

beforeAll(async () => {
  // One simulator behind both runtimes, so the same call gets the same answer on Node and on the Worker.
  node = await startStack({ timeScale: 0 });
  edge = await startLocalEdge({ upstreamUrl: node.sim.url, credentials: SIM_CREDENTIALS, table: 'edge_sdk_test' });
  console.log(`local Workers runtime (Miniflare) ready in ${edge.startupMs} ms`);
  workerSdk = sdkFor(edge.url);
  nodeSdk = sdkFor(node.url);
  dynamo = new DynamoDBClient({ endpoint: edge.dynamo.endpoint, region: 'us-east-1', credentials: SIM_CREDENTIALS });
}, 180_000);
afterAll(async () => {
  workerSdk?.destroy();
  nodeSdk?.destroy();
  dynamo?.destroy();
  await edge?.close();
  await node?.close();
});

const messages = (text: string) => [{ role: 'user' as const, content: [{ text }] }];
const anthropicBody = (text: string) =>
  new TextEncoder().encode(
    JSON.stringify({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 50, messages: [{ role: 'user', content: text }] }),
  );

/** The observations the Worker wrote to the log (dynalite), for requests outside experiments and in the shipped one. */
async function workerObservations(): Promise<Observation[]> {
  const store = dynamoObservationStore({ client: dynamo, table: edge.dynamo.table });
  const out: Observation[] = [];
  for (const id of [null, 'sonnet-v2-upgrade']) {
    const read = await store.readExperiment(id);
    if (!read.ok) throw new Error(read.error);
    out.push(...read.items);
  }
  return out;
}

async function workerObservationOf(requestId: string): Promise<Observation> {
  let found: Observation | undefined;
  for (let i = 0; i < 100 && !found; i++) {
    found = (await workerObservations()).find((o) => o.requestId === requestId);
    if (!found) await new Promise((r) => setTimeout(r, 50));
  }
  if (!found) throw new Error(`no observation of ${requestId} in the log`);
  return found;
}

describe('the Worker under workerd, through the AWS SDK (HTTP/1.1)', () => {
  it('Converse: routed answer with the gateway headers', async () => {
    const out = await workerSdk.send(
      new ConverseCommand({
        modelId: 'mangaassist',
        messages: messages('Where is my order?'),
        requestMetadata: { intent: 'order_tracking', session_id: 'w-1' },
      }),
    );
    expect(out.output?.message?.content?.[0]?.text?.length).toBeGreaterThan(0);
    expect(out.usage?.outputTokens).toBeGreaterThan(0);
    expect(node.sim.control.log.at(-1)).toMatchObject({ modelId: HAIKU, signature: 'verified' });
  });

  it('ConverseStream: deltas, then usage metadata', async () => {
    const out = await workerSdk.send(
      new ConverseStreamCommand({
        modelId: 'mangaassist',
        messages: messages('Tell me about this'),
        requestMetadata: { intent: 'faq', session_id: 'w-2' },
      }),
    );
    let deltas = 0;
    let outputTokens = 0;
    for await (const event of out.stream!) {
      if (event.contentBlockDelta) deltas++;
      if (event.metadata) outputTokens = event.metadata.usage?.outputTokens ?? 0;
    }
    expect(deltas).toBeGreaterThan(1);
    expect(outputTokens).toBeGreaterThan(0);
  });

  it('InvokeModel and InvokeModelWithResponseStream: Anthropic bodies through', async () => {
    const whole = await workerSdk.send(
      new InvokeModelCommand({ modelId: 'mangaassist', body: anthropicBody('hi'), contentType: 'application/json' }),
    );
    expect(JSON.parse(new TextDecoder().decode(whole.body)).usage.output_tokens).toBeGreaterThan(0);
    const streamed = await workerSdk.send(
      new InvokeModelWithResponseStreamCommand({ modelId: 'mangaassist', body: anthropicBody('hi'), contentType: 'application/json' }),
    );
    const types: string[] = [];
    for await (const event of streamed.body!)
      if (event.chunk?.bytes) types.push(JSON.parse(new TextDecoder().decode(event.chunk.bytes)).type);
    expect(types[0]).toBe('message_start');
    expect(types.at(-1)).toBe('message_stop');
  });

  it('upstream failures and bad input reach the SDK as typed AWS exceptions', async () => {
    node.sim.control.setFault(HAIKU, { kind: 'throttle', count: 1 });
    const throttled = await workerSdk
      .send(
        new ConverseCommand({
          modelId: 'mangaassist',
          messages: messages('hi'),
          requestMetadata: { intent: 'chitchat', session_id: 'w-e1' },
        }),
      )
      .catch((e: unknown) => e);
    expect(throttled).toBeInstanceOf(ThrottlingException);
    node.sim.control.setFault(HAIKU, { kind: 'error', count: 1 });
    const failed = await workerSdk
      .send(
        new ConverseCommand({
          modelId: 'mangaassist',
          messages: messages('hi'),
          requestMetadata: { intent: 'chitchat', session_id: 'w-e2' },
        }),
      )
      .catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(InternalServerException);
    const invalid = await workerSdk
      .send(
        new InvokeModelCommand({ modelId: 'mangaassist', body: new TextEncoder().encode('{not json'), contentType: 'application/json' }),
      )
      .catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(ValidationException);
  });

  it('an exception frame mid-stream reaches the SDK typed', async () => {
    node.sim.control.setFault(SONNET_V1, { kind: 'stream-error', exception: 'throttlingException', afterDeltas: 2, count: 1 });
    const out = await workerSdk.send(
      new ConverseStreamCommand({
        modelId: 'mangaassist',
        messages: messages('hi'),
        requestMetadata: { intent: 'faq', session_id: 'w-e3' },
      }),
    );
    let deltas = 0;
    const err = await (async () => {
      for await (const event of out.stream!) if (event.contentBlockDelta) deltas++;
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ThrottlingException);
    expect(deltas).toBe(2);
  });
});

describe('the Worker through the OpenAI SDK', () => {
  it('chat completions, whole and streamed, and the model list', async () => {
    const openai = new OpenAI({ baseURL: `${edge.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const whole = await openai.chat.completions.create({ model: 'mangaassist', messages: [{ role: 'user', content: 'hi' }] });
    expect(whole.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect(whole.usage?.completion_tokens).toBeGreaterThan(0);
    const stream = await openai.chat.completions.create({
      model: 'mangaassist',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let completionTokens = 0;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) completionTokens = chunk.usage.completion_tokens;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(completionTokens).toBeGreaterThan(0);
    const models = await openai.models.list();
    expect(models.data.map((m) => m.id)).toContain('mangaassist');
  });

  it('a malformed body is refused with 400 naming the problem, and feedback is accepted with 202', async () => {
    const bad = await fetch(`${edge.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"model":',
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.message).toMatch(/json/i);
    const fb = await fetch(`${edge.url}/v1/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ metric: 'cart_add', session_id: 'w-1', value: true }),
    });
    expect(fb.status).toBe(202);
  });
});

describe('same routing and same observations as Node', () => {
  it('300 session ids get the same arm and configuration on the Worker as on Node', async () => {
    const sessions = Array.from({ length: 300 }, (_, i) => `arm-check-${i}`);
    const decide = async (base: string, session: string) => {
      const res = await fetch(`${base}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-intent': 'recommendation', 'x-session-id': session },
        body: JSON.stringify({ model: 'mangaassist', messages: [{ role: 'user', content: 'recommend one' }], max_tokens: 5 }),
      });
      await res.arrayBuffer();
      return `${res.headers.get('x-gateway-arm')}/${res.headers.get('x-gateway-config')}`;
    };
    const worker: string[] = [];
    const onNode: string[] = [];
    for (let i = 0; i < sessions.length; i += 6) {
      const batch = sessions.slice(i, i + 6);
      worker.push(...(await Promise.all(batch.map((s) => decide(edge.url, s)))));
      onNode.push(...(await Promise.all(batch.map((s) => decide(node.url, s)))));
    }
    expect(worker).toEqual(onNode);
    // Both arms occur (split 0.1), so the comparison covers a real decision.
    expect(new Set(worker)).toEqual(new Set(['control/sonnet-35-v1', 'treatment/sonnet-35-v2']));
  }, 120_000);

  it("the Worker's observations in the log have the same fields and values as Node's for the same calls", async () => {
    const calls = [
      {
        path: '/model/mangaassist/converse',
        intent: 'order_tracking',
        session: 'cmp-1',
        body: { messages: messages('Where is order 9?') },
      },
      { path: '/model/mangaassist/converse-stream', intent: 'recommendation', session: 'cmp-2', body: { messages: messages('Pick one') } },
      {
        path: '/v1/chat/completions',
        intent: 'faq',
        session: 'cmp-3',
        body: { model: 'mangaassist', messages: [{ role: 'user', content: 'Returns?' }] },
      },
    ];
    const variable = ['requestId', 'time', 'ttftMs', 'latencyMs', 'overheadMs', 'replicaId'] as const;
    const strip = (o: Observation) => Object.fromEntries(Object.entries(o).filter(([k]) => !(variable as readonly string[]).includes(k)));
    for (const call of calls) {
      const send = (base: string) =>
        fetch(`${base}${call.path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-intent': call.intent, 'x-session-id': call.session },
          body: JSON.stringify(call.body),
        }).then(async (r) => {
          await r.arrayBuffer();
          return r.headers.get('x-gateway-request-id')!;
        });
      // The simulator answers by seed and call index per model: reset before each side, so both get the same answer.
      const before = node.sink.observations.length;
      node.sim.control.reset();
      await send(node.url);
      const [fromNode] = (await node.sink.waitFor(before + 1)).slice(before);
      node.sim.control.reset();
      const fromWorker = await workerObservationOf(await send(edge.url));
      expect(strip(fromWorker)).toEqual(strip(fromNode!));
      expect(fromWorker.inputTokens).toBeGreaterThan(0);
    }
  });

  it('/healthz reports what the Worker wrote and dropped', async () => {
    const health = await (await fetch(`${edge.url}/healthz`)).json();
    expect(health).toMatchObject({ status: 'ok', runtime: 'worker', config: 'bundled', observations: { dropped: 0 } });
    expect(health.observations.written).toBeGreaterThan(300);
  });
});
