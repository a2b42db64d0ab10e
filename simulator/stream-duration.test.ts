import { ConverseStreamCommand } from '@aws-sdk/client-bedrock-runtime';
import { describe, expect, it } from 'vitest';
import { startSimulator } from './server.ts';
import { sdkClient, SONNET_V2 } from './test-support.ts';
import { pacedFrames, type ScheduledFrame } from './timing.ts';

const frame = (atMs: number, content = false): ScheduledFrame => ({
  atMs,
  bytes: new Uint8Array([atMs & 0xff]),
  ...(content ? { content } : {}),
});

describe('pacedFrames', () => {
  it('keeps the time to first content (scaled) and spreads the rest to the duration', () => {
    const frames = [frame(0), frame(400, true), frame(600, true), frame(800, true), frame(1_400)];
    const paced = pacedFrames(frames, 0.5, 10_000);
    expect(paced.map((f) => f.atMs)).toEqual([0, 200, 200 + (200 / 1_000) * 9_800, 200 + (400 / 1_000) * 9_800, 10_000]);
    expect(paced.map((f) => f.bytes)).toEqual(frames.map((f) => f.bytes));
    expect(paced[1]!.content).toBe(true);
  });

  it('at time scale 0 the first content is due at once and the last frame at the duration', () => {
    const paced = pacedFrames([frame(0), frame(300, true), frame(900)], 0, 5_000);
    expect(paced.map((f) => f.atMs)).toEqual([0, 0, 5_000]);
  });

  it('a first token later than the duration keeps its time, and what follows comes with it', () => {
    const paced = pacedFrames([frame(0), frame(3_000, true), frame(4_000)], 1, 1_000);
    expect(paced.map((f) => f.atMs)).toEqual([0, 3_000, 3_000]);
  });

  it('frames without content are spread from the first frame', () => {
    expect(pacedFrames([frame(0), frame(10), frame(20)], 1, 100).map((f) => f.atMs)).toEqual([0, 50, 100]);
    expect(pacedFrames([], 1, 100)).toEqual([]);
  });
});

describe('streamDurationMs', () => {
  it('rejects a duration that is not a positive number', async () => {
    await expect(startSimulator({ streamDurationMs: 0 })).rejects.toThrow(/streamDurationMs must be a finite number > 0, got 0/);
  });

  // Durations are checked from below only (a busy machine can only make them longer).
  it('a ConverseStream answer at time scale 0 starts at once and lasts the duration', async () => {
    const sim = await startSimulator({ timeScale: 0, streamDurationMs: 400, seed: 3, randomFaults: false });
    const client = sdkClient(sim.url);
    try {
      const started = performance.now();
      const out = await client.send(
        new ConverseStreamCommand({ modelId: SONNET_V2, messages: [{ role: 'user', content: [{ text: 'Recommend a tent' }] }] }),
      );
      const arrivals: number[] = [];
      let usage = 0;
      for await (const event of out.stream!) {
        if (event.contentBlockDelta) arrivals.push(performance.now() - started);
        if (event.metadata) usage = event.metadata.usage!.outputTokens!;
      }
      const ended = performance.now() - started;
      expect(arrivals.length).toBeGreaterThan(5);
      expect(usage).toBeGreaterThan(0);
      expect(ended).toBeGreaterThanOrEqual(390);
      expect(arrivals[0]!).toBeLessThan(arrivals.at(-1)!);
      const call = sim.control.log.at(-1)!;
      expect(call.finishedAt! - call.startedAt).toBeGreaterThanOrEqual(390);
    } finally {
      client.destroy();
      await sim.close();
    }
  });
});
