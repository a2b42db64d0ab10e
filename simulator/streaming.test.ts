import { ConverseCommand, ConverseStreamCommand, InvokeModelWithResponseStreamCommand, type BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

const ask = { modelId: SONNET_V2, messages: [{ role: 'user' as const, content: [{ text: 'Recommend a tent' }] }], requestMetadata: { intent: 'recommendation' } };

describe('timing at time scale > 0', () => {
  it('ConverseStream frames reach the client over time, first delta after ttft', async () => {
    const started = performance.now();
    const out = await client.send(new ConverseStreamCommand(ask));
    const deltaTimes: number[] = [];
    let latencyMs = 0;
    let doneAt = 0;
    for await (const event of out.stream!) {
      if (event.contentBlockDelta) deltaTimes.push(performance.now() - started);
      if (event.metadata) {
        latencyMs = event.metadata.metrics!.latencyMs!;
        doneAt = performance.now() - started;
      }
    }
    const record = sim.control.log.at(-1)!;
    const ttftReal = record.firstByteAt! - record.startedAt;
    const expectedTotal = latencyMs * SCALE;
    expect(expectedTotal).toBeGreaterThan(80);
    expect(doneAt).toBeGreaterThanOrEqual(expectedTotal * 0.9);
    expect(deltaTimes[0]!).toBeLessThan(doneAt * 0.6);
    expect(deltaTimes.at(-1)! - deltaTimes[0]!).toBeGreaterThan((expectedTotal - ttftReal) * 0.6);
    expect(ttftReal).toBeGreaterThan(5);
    expect(new Set(deltaTimes.map((t) => Math.round(t / 5))).size).toBeGreaterThan(5);
  });

  it('InvokeModelWithResponseStream frames reach the client over time', async () => {
    const started = performance.now();
    const out = await client.send(new InvokeModelWithResponseStreamCommand({ modelId: SONNET_V2, body: JSON.stringify(anthropicBody('Recommend a tent', 400)), contentType: 'application/json' }));
    const times: number[] = [];
    for await (const _ of out.body!) times.push(performance.now() - started);
    expect(times.at(-1)! - times[2]!).toBeGreaterThan(30);
  });

  it('Converse waits for the whole simulated latency', async () => {
    const started = performance.now();
    const out = await client.send(new ConverseCommand(ask));
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(out.metrics!.latencyMs! * SCALE * 0.9);
    expect(elapsed).toBeLessThan(out.metrics!.latencyMs! * SCALE + 150);
  });

  it('writes each frame as it is produced over HTTP/1.1 too', async () => {
    const started = performance.now();
    const res = await post(fetch, sim.url, SONNET_V2, 'converse-stream', converseBody('Recommend a tent', { requestMetadata: { intent: 'recommendation' } }));
    const reader = res.body!.getReader();
    const arrivals: number[] = [];
    const chunks: Uint8Array[] = [];
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      arrivals.push(performance.now() - started);
      chunks.push(value);
    }
    expect(arrivals.length).toBeGreaterThan(5);
    expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThan(50);
    const first = Buffer.concat(chunks);
    const length = first.readUInt32BE(0);
    expect(decodeFrame(first.subarray(0, length)).headers).toMatchObject({ ':event-type': 'messageStart', ':message-type': 'event', ':content-type': 'application/json' });
  });
});
