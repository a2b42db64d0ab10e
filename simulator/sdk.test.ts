import {
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  type BedrockRuntimeClient,
} from '@aws-sdk/client-bedrock-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from './server.ts';
import { anthropicBody, converseBody, HAIKU, post, sdkClient, SONNET_V2, wordCount } from './test-support.ts';
import type { ResponseJson } from '../test/support/json.ts';

let sim: RunningSimulator;
let client: BedrockRuntimeClient;
const decoder = new TextDecoder();
const question = 'Could you recommend a waterproof jacket for autumn hiking?';

beforeAll(async () => {
  sim = await startSimulator({ timeScale: 0, seed: 21, randomFaults: false });
  client = sdkClient(sim.url);
});

afterAll(async () => {
  client.destroy();
  await sim.close();
});

describe('with the real BedrockRuntimeClient (default handler)', () => {
  it('uses the HTTP/2 handler by default', () => {
    expect(client.config.requestHandler.constructor.name).toBe('NodeHttp2Handler');
  });

  it('Converse: text, usage and intent', async () => {
    const out = await client.send(
      new ConverseCommand({
        modelId: SONNET_V2,
        system: [{ text: 'You are a shop assistant.' }],
        messages: [{ role: 'user', content: [{ text: question }] }],
        inferenceConfig: { maxTokens: 2000, temperature: 0.2 },
        requestMetadata: { intent: 'recommendation' },
      }),
    );
    const text = out.output?.message?.content?.[0]?.text ?? '';
    expect(out.output?.message?.role).toBe('assistant');
    expect(out.stopReason).toBe('end_turn');
    expect(out.usage?.outputTokens).toBe(wordCount(text));
    expect(out.usage?.inputTokens).toBe(Math.ceil(('You are a shop assistant.'.length + question.length) / 4));
    expect(out.usage?.totalTokens).toBe(out.usage!.inputTokens! + out.usage!.outputTokens!);
    expect(out.usage!.outputTokens!).toBeGreaterThan(250);
    expect(out.metrics?.latencyMs).toBeGreaterThan(0);
    const last = sim.control.log.at(-1)!;
    expect(last).toMatchObject({
      modelId: SONNET_V2,
      operation: 'converse',
      intent: 'recommendation',
      status: 200,
      signature: 'unchecked',
      fault: null,
    });
    expect(last.outputTokens).toBe(out.usage?.outputTokens);
  });

  it('Converse: stops at maxTokens with stopReason max_tokens', async () => {
    const out = await client.send(
      new ConverseCommand({
        modelId: HAIKU,
        messages: [{ role: 'user', content: [{ text: question }] }],
        inferenceConfig: { maxTokens: 12 },
      }),
    );
    expect(out.stopReason).toBe('max_tokens');
    expect(out.usage?.outputTokens).toBe(12);
    expect(wordCount(out.output?.message?.content?.[0]?.text ?? '')).toBe(12);
  });

  it('ConverseStream: events in order, deltas adding up to the reported usage', async () => {
    const out = await client.send(
      new ConverseStreamCommand({
        modelId: SONNET_V2,
        messages: [{ role: 'user', content: [{ text: question }] }],
        requestMetadata: { intent: 'faq' },
      }),
    );
    const kinds: string[] = [];
    let text = '';
    let usage: { outputTokens?: number; inputTokens?: number; totalTokens?: number } | undefined;
    let stopReason: string | undefined;
    for await (const event of out.stream!) {
      kinds.push(Object.entries(event).find(([, value]) => value !== undefined)![0]);
      if (event.contentBlockDelta) text += event.contentBlockDelta.delta?.text ?? '';
      if (event.messageStop) stopReason = event.messageStop.stopReason;
      if (event.metadata) usage = event.metadata.usage;
    }
    expect(kinds[0]).toBe('messageStart');
    expect(kinds.filter((k) => k === 'contentBlockDelta').length).toBeGreaterThanOrEqual(3);
    expect(kinds.slice(-3)).toEqual(['contentBlockStop', 'messageStop', 'metadata']);
    expect(stopReason).toBe('end_turn');
    expect(usage?.outputTokens).toBe(wordCount(text));
    expect(usage?.totalTokens).toBe(usage!.inputTokens! + usage!.outputTokens!);
    expect(sim.control.log.at(-1)).toMatchObject({ operation: 'converse-stream', intent: 'faq', outputTokens: usage?.outputTokens });
  });

  it('InvokeModel: Anthropic message JSON', async () => {
    const out = await client.send(
      new InvokeModelCommand({
        modelId: HAIKU,
        contentType: 'application/json',
        body: JSON.stringify({ ...anthropicBody(question), system: 'Be brief.' }),
      }),
    );
    const message = JSON.parse(decoder.decode(out.body));
    expect(message).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'claude-3-5-haiku-20241022',
      stop_reason: 'end_turn',
      stop_sequence: null,
    });
    expect(message.id).toMatch(/^msg_bdrk_/);
    expect(message.usage.output_tokens).toBe(wordCount(message.content[0].text));
    expect(message.usage.input_tokens).toBe(Math.ceil(('Be brief.'.length + question.length) / 4));
  });

  it('InvokeModelWithResponseStream: Anthropic streaming events in chunks', async () => {
    const out = await client.send(
      new InvokeModelWithResponseStreamCommand({ modelId: SONNET_V2, body: JSON.stringify(anthropicBody(question, 40)) }),
    );
    const events: ResponseJson[] = [];
    for await (const part of out.body!) events.push(JSON.parse(decoder.decode(part.chunk!.bytes)));
    const types = events.map((e) => e.type);
    expect(types.slice(0, 2)).toEqual(['message_start', 'content_block_start']);
    expect(types.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    expect(types.filter((t) => t === 'content_block_delta').length).toBeGreaterThanOrEqual(3);
    const text = events
      .filter((e) => e.type === 'content_block_delta')
      .map((e) => e.delta.text)
      .join('');
    const delta = events.find((e) => e.type === 'message_delta')!;
    const stop = events.at(-1)!;
    expect(events[0]!.message.usage).toEqual({ input_tokens: Math.ceil(question.length / 4), output_tokens: 1 });
    expect(delta.delta.stop_reason).toBe('max_tokens');
    expect(delta.usage.output_tokens).toBe(40);
    expect(wordCount(text)).toBe(40);
    expect(stop['amazon-bedrock-invocationMetrics']).toMatchObject({
      inputTokenCount: Math.ceil(question.length / 4),
      outputTokenCount: 40,
    });
    expect(stop['amazon-bedrock-invocationMetrics'].firstByteLatency).toBeLessThan(
      stop['amazon-bedrock-invocationMetrics'].invocationLatency,
    );
  });

  it('accepts cross-region inference profile ids', async () => {
    const out = await client.send(new ConverseCommand({ modelId: `us.${HAIKU}`, messages: [{ role: 'user', content: [{ text: 'hi' }] }] }));
    expect(out.usage?.outputTokens).toBeGreaterThan(0);
  });
});

describe('plain HTTP/1.1 on the same port', () => {
  it('serves Converse with the x-intent header and a quality header', async () => {
    const res = await post(fetch, sim.url, HAIKU, 'converse', converseBody('where is my parcel?'), { 'x-intent': 'order_tracking' });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.usage.outputTokens).toBe(wordCount(body.output.message.content[0].text));
    const quality = Number(res.headers.get('x-simulator-quality'));
    expect(quality).toBeGreaterThan(0);
    expect(quality).toBeLessThanOrEqual(1);
    expect(sim.control.log.at(-1)).toMatchObject({ intent: 'order_tracking', quality: expect.closeTo(quality, 3) });
  });

  it('serves InvokeModel with token-count headers', async () => {
    const res = await post(fetch, sim.url, HAIKU, 'invoke', anthropicBody('hello'), { 'x-intent': 'chitchat' });
    const body = await res.json();
    expect(res.headers.get('x-amzn-bedrock-input-token-count')).toBe(String(body.usage.input_tokens));
    expect(res.headers.get('x-amzn-bedrock-output-token-count')).toBe(String(body.usage.output_tokens));
    expect(sim.control.calls(HAIKU).at(-1)).toMatchObject({ operation: 'invoke', intent: 'chitchat' });
  });

  it('answers unknown routes AWS-style', async () => {
    const res = await fetch(`${sim.url}/model/${HAIKU}/generate`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(404);
    expect(res.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
  });
});
