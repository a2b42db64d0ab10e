import {
  ConverseCommand,
  ConverseStreamCommand,
  InternalServerException,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  ModelStreamErrorException,
  ModelTimeoutException,
  ServiceUnavailableException,
  ThrottlingException,
  ValidationException,
  type BedrockRuntimeClient,
} from '@aws-sdk/client-bedrock-runtime';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FaultSpec } from './control.ts';
import { startSimulator, type RunningSimulator } from './server.ts';
import { anthropicBody, HAIKU, post, sdkClient, SONNET_V2 } from './test-support.ts';

let sim: RunningSimulator;
let client: BedrockRuntimeClient;

beforeAll(async () => {
  sim = await startSimulator({ timeScale: 0, randomFaults: false });
  client = sdkClient(sim.url);
});
beforeEach(() => sim.control.reset());
afterAll(async () => {
  client.destroy();
  await sim.close();
});

const converse = (modelId = HAIKU): ConverseCommand =>
  new ConverseCommand({ modelId, messages: [{ role: 'user', content: [{ text: 'hi' }] }] });

async function caught(run: () => Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}

async function drain(iterable: AsyncIterable<unknown> | undefined): Promise<number> {
  let n = 0;
  for await (const _ of iterable!) n++;
  return n;
}

describe('injected faults surface as the SDK typed exceptions', () => {
  it.each([
    ['throttle', ThrottlingException, 429],
    ['error', InternalServerException, 500],
    ['timeout', ModelTimeoutException, 408],
    ['unavailable', ServiceUnavailableException, 503],
  ] as const)('%s', async (kind, type, status) => {
    sim.control.setFault(HAIKU, { kind, count: 1 });
    const error = await caught(() => client.send(converse()));
    expect(error).toBeInstanceOf(type);
    expect(error.name).toBe(type.name);
    expect(error.$metadata?.httpStatusCode).toBe(status);
    expect(sim.control.log.at(-1)).toMatchObject({ fault: kind, status });
    await expect(client.send(converse())).resolves.toBeDefined();
  });

  it('fails streaming operations before the stream starts', async () => {
    sim.control.setFault('*', { kind: 'throttle' });
    await expect(
      client.send(new ConverseStreamCommand({ modelId: HAIKU, messages: [{ role: 'user', content: [{ text: 'hi' }] }] })),
    ).rejects.toBeInstanceOf(ThrottlingException);
    await expect(
      client.send(new InvokeModelCommand({ modelId: SONNET_V2, body: JSON.stringify(anthropicBody('hi')) })),
    ).rejects.toBeInstanceOf(ThrottlingException);
  });

  it('lets a model fault win over the wildcard, and clears with null', async () => {
    sim.control.setFault('*', { kind: 'unavailable' });
    sim.control.setFault(HAIKU, { kind: 'timeout' });
    await expect(client.send(converse(HAIKU))).rejects.toBeInstanceOf(ModelTimeoutException);
    await expect(client.send(converse(SONNET_V2))).rejects.toBeInstanceOf(ServiceUnavailableException);
    sim.control.setFault(HAIKU, null);
    await expect(client.send(converse(HAIKU))).rejects.toBeInstanceOf(ServiceUnavailableException);
    sim.control.clearFaults();
    await expect(client.send(converse(HAIKU))).resolves.toBeDefined();
  });

  it('counts down `count`', async () => {
    sim.control.setFault(HAIKU, { kind: 'error', count: 2 });
    const outcomes: string[] = [];
    for (let i = 0; i < 4; i++)
      outcomes.push(
        await client.send(converse()).then(
          () => 'ok',
          (e: Error) => e.name,
        ),
      );
    expect(outcomes).toEqual(['InternalServerException', 'InternalServerException', 'ok', 'ok']);
  });

  it('breaks a ConverseStream with an exception frame after some deltas', async () => {
    for (const [exception, type] of [
      [undefined, InternalServerException],
      ['throttlingException', ThrottlingException],
    ] as const) {
      const fault: FaultSpec = { kind: 'stream-error', count: 1, afterDeltas: 3, ...(exception ? { exception } : {}) };
      sim.control.setFault(HAIKU, fault);
      const out = await client.send(new ConverseStreamCommand({ modelId: HAIKU, messages: [{ role: 'user', content: [{ text: 'hi' }] }] }));
      let deltas = 0;
      const error = await caught(async () => {
        for await (const event of out.stream!) if (event.contentBlockDelta) deltas++;
      });
      expect(error).toBeInstanceOf(type);
      expect(deltas).toBe(3);
    }
    expect(sim.control.log.at(-1)).toMatchObject({ fault: 'stream-error', status: 200 });
  });

  it('breaks an InvokeModelWithResponseStream with a modelled exception', async () => {
    sim.control.setFault(SONNET_V2, { kind: 'stream-error', exception: 'modelStreamErrorException', count: 1 });
    const out = await client.send(
      new InvokeModelWithResponseStreamCommand({ modelId: SONNET_V2, body: JSON.stringify(anthropicBody('hi')) }),
    );
    expect(await caught(() => drain(out.body))).toBeInstanceOf(ModelStreamErrorException);
    const next = await client.send(
      new InvokeModelWithResponseStreamCommand({ modelId: SONNET_V2, body: JSON.stringify(anthropicBody('hi')) }),
    );
    expect(await drain(next.body)).toBeGreaterThan(5);
  });

  it('holds the response for a delay fault, then answers normally', async () => {
    sim.control.setFault(HAIKU, { kind: 'delay', delayMs: 150, count: 1 });
    const started = performance.now();
    await client.send(converse());
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect(sim.control.log.at(-1)).toMatchObject({ fault: 'delay', status: 200 });
    // The fault had a count of one: the next call is not held.
    await client.send(converse());
    expect(sim.control.log.at(-1)).toMatchObject({ fault: null, status: 200 });
  });
});

describe('validation errors', () => {
  it('rejects an unknown model id', async () => {
    const error = await caught(() => client.send(converse('anthropic.claude-9-opus-v1:0')));
    expect(error).toBeInstanceOf(ValidationException);
    expect(error.message).toBe('The provided model identifier is invalid.');
    expect(error.$metadata?.httpStatusCode).toBe(400);
  });

  it('rejects malformed JSON and missing fields', async () => {
    await expect(client.send(new InvokeModelCommand({ modelId: HAIKU, body: '{not json' }))).rejects.toBeInstanceOf(ValidationException);
    const noVersion = { max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] };
    await expect(client.send(new InvokeModelCommand({ modelId: HAIKU, body: JSON.stringify(noVersion) }))).rejects.toThrow(
      /anthropic_version/,
    );
    await expect(client.send(new ConverseCommand({ modelId: HAIKU, messages: [] }))).rejects.toBeInstanceOf(ValidationException);
    await expect(
      client.send(
        new ConverseCommand({
          modelId: HAIKU,
          messages: [{ role: 'user', content: [{ text: 'hi' }] }],
          inferenceConfig: { maxTokens: 100_000 },
        }),
      ),
    ).rejects.toThrow(/model limit of 8192/);
    const res = await post(fetch, sim.url, HAIKU, 'converse', { system: [] });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-amzn-errortype')).toBe('ValidationException');
    expect((await res.json()).message).toMatch(/messages/);
  });
});
