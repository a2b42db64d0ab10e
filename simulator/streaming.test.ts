import {
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelWithResponseStreamCommand,
  type BedrockRuntimeClient,
} from '@aws-sdk/client-bedrock-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallRecord } from './control.ts';
import { decodeFrame } from './event-stream.ts';
import { startSimulator, type RunningSimulator } from './server.ts';
import { anthropicBody, converseBody, post, sdkClient, SONNET_V2 } from './test-support.ts';

const SCALE = 0.1;
let sim: RunningSimulator;
let client: BedrockRuntimeClient;

beforeAll(async () => {
  sim = await startSimulator({ timeScale: SCALE, seed: 4, randomFaults: false });
  client = sdkClient(sim.url);
});
afterAll(async () => {
  client.destroy();
  await sim.close();
});

const ask = {
  modelId: SONNET_V2,
  messages: [{ role: 'user' as const, content: [{ text: 'Recommend a tent' }] }],
  requestMetadata: { intent: 'recommendation' },
};

/** The simulator's record of the call under way (it is logged when the request arrives). */
const current = (): CallRecord => sim.control.log.at(-1)!;

// Order, not speed: a frame counts as streamed when the client holds it before the simulator has finished
// the answer. Durations are only checked from below (the simulator waits at least the scaled simulated
// time), which a busy machine cannot break; how fast frames go out is measured by the benchmarks.
describe('timing at time scale > 0', () => {
  it('ConverseStream frames reach the client before the answer is finished, the first after the ttft', async () => {
    const out = await client.send(new ConverseStreamCommand(ask));
    const call = current();
    let deltas = 0;
    let deltasBeforeEnd = 0;
    let latencyMs = 0;
    for await (const event of out.stream!) {
      if (event.contentBlockDelta) {
        deltas++;
        if (call.finishedAt === undefined) deltasBeforeEnd++;
      }
      if (event.metadata) latencyMs = event.metadata.metrics!.latencyMs!;
    }
    expect(deltas).toBeGreaterThan(5);
    expect(deltasBeforeEnd).toBeGreaterThan(0);
    expect(call.firstByteAt!).toBeLessThan(call.finishedAt!);
    expect(call.firstByteAt! - call.startedAt).toBeGreaterThan(5);
    expect(latencyMs * SCALE).toBeGreaterThan(80);
    expect(call.finishedAt! - call.startedAt).toBeGreaterThanOrEqual(latencyMs * SCALE * 0.9);
  });

  it('InvokeModelWithResponseStream frames reach the client before the answer is finished', async () => {
    const out = await client.send(
      new InvokeModelWithResponseStreamCommand({
        modelId: SONNET_V2,
        body: JSON.stringify(anthropicBody('Recommend a tent', 400)),
        contentType: 'application/json',
      }),
    );
    const call = current();
    let chunks = 0;
    let chunksBeforeEnd = 0;
    for await (const _ of out.body!) {
      chunks++;
      if (call.finishedAt === undefined) chunksBeforeEnd++;
    }
    expect(chunks).toBeGreaterThan(5);
    expect(chunksBeforeEnd).toBeGreaterThan(0);
    expect(call.finishedAt).toBeDefined();
  });

  it('Converse waits for the whole simulated latency', async () => {
    const started = performance.now();
    const out = await client.send(new ConverseCommand(ask));
    expect(performance.now() - started).toBeGreaterThanOrEqual(out.metrics!.latencyMs! * SCALE * 0.9);
    expect(current().finishedAt! - current().startedAt).toBeGreaterThanOrEqual(out.metrics!.latencyMs! * SCALE * 0.9);
  });

  it('writes each frame as it is produced over HTTP/1.1 too', async () => {
    const res = await post(
      fetch,
      sim.url,
      SONNET_V2,
      'converse-stream',
      converseBody('Recommend a tent', { requestMetadata: { intent: 'recommendation' } }),
    );
    const call = current();
    const reader = res.body!.getReader();
    let readsBeforeEnd = 0;
    const chunks: Uint8Array[] = [];
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      if (call.finishedAt === undefined) readsBeforeEnd++;
      chunks.push(value);
    }
    expect(chunks.length).toBeGreaterThan(5);
    expect(readsBeforeEnd).toBeGreaterThan(0);
    const first = Buffer.concat(chunks);
    const length = first.readUInt32BE(0);
    expect(decodeFrame(first.subarray(0, length)).headers).toMatchObject({
      ':event-type': 'messageStart',
      ':message-type': 'event',
      ':content-type': 'application/json',
    });
  });
});
