import { describe, expect, it, vi } from 'vitest';
import { createSimulatorApp, type SimulatorOptions } from './app.ts';
import { loadProfiles, parseProfiles } from './profiles.ts';
import { anthropicBody, converseBody, CUSTOM, HAIKU, post, SONNET_V2 } from './test-support.ts';

type Step = [model: string, operation: string, text: string];

const STEPS: Step[] = [
  [SONNET_V2, 'converse', 'Which tent should I buy for a summer hike?'],
  [HAIKU, 'converse', 'Where is my order 1234?'],
  [SONNET_V2, 'converse-stream', 'Recommend a sleeping bag'],
  [HAIKU, 'invoke', 'hello there'],
  [SONNET_V2, 'invoke-with-response-stream', 'What is your return policy?'],
  [SONNET_V2, 'converse', 'And a stove?'],
];

async function replay(options: SimulatorOptions, steps: Step[] = STEPS): Promise<Map<string, string[]>> {
  const sim = createSimulatorApp({ timeScale: 0, ...options });
  const byModel = new Map<string, string[]>();
  for (const [model, operation, text] of steps) {
    const body = operation.startsWith('converse')
      ? converseBody(text, { requestMetadata: { intent: 'recommendation' } })
      : anthropicBody(text);
    const res = await post(sim.fetch, 'http://sim', model, operation, body);
    const bytes = Buffer.from(await res.arrayBuffer()).toString('base64');
    const seen = byModel.get(model) ?? [];
    seen.push(`${res.status} ${res.headers.get('x-simulator-quality')} ${bytes}`);
    byModel.set(model, seen);
  }
  return byModel;
}

describe('determinism', () => {
  it('replays the same answers, usage, latency and quality for the same seed', async () => {
    const a = await replay({ seed: 7 });
    const b = await replay({ seed: 7 });
    expect(b).toEqual(a);
    const c = await replay({ seed: 8 });
    expect(c.get(SONNET_V2)).not.toEqual(a.get(SONNET_V2));
  });

  it('keys each call on its model and per-model index, so other models do not shift it', async () => {
    const a = await replay({ seed: 7 });
    const onlySonnet = await replay(
      { seed: 7 },
      STEPS.filter(([model]) => model === SONNET_V2),
    );
    expect(onlySonnet.get(SONNET_V2)).toEqual(a.get(SONNET_V2));
  });

  it('replays from the start after control.reset()', async () => {
    const sim = createSimulatorApp({ timeScale: 0, seed: 3 });
    const first = await (await post(sim.fetch, 'http://sim', HAIKU, 'converse', converseBody('hi'))).text();
    const second = await (await post(sim.fetch, 'http://sim', HAIKU, 'converse', converseBody('hi'))).text();
    expect(second).not.toBe(first);
    sim.control.reset();
    expect(await (await post(sim.fetch, 'http://sim', HAIKU, 'converse', converseBody('hi'))).text()).toBe(first);
  });

  it('draws profile faults deterministically', async () => {
    const data = JSON.parse(JSON.stringify(loadProfiles().models.get(CUSTOM)!.spec));
    data.rates = { error: 0.2, throttle: 0.2, timeout: 0.1 };
    data.coldStart = { calls: 0, slowdown: 1 };
    const profiles = parseProfiles({ intentBudgets: { other: 800 }, models: { [CUSTOM]: data } });
    const statuses = async (): Promise<number[]> => {
      const sim = createSimulatorApp({ timeScale: 0, seed: 11, profiles });
      const out: number[] = [];
      for (let i = 0; i < 40; i++) out.push((await post(sim.fetch, 'http://sim', CUSTOM, 'converse', converseBody('x'))).status);
      return out;
    };
    const first = await statuses();
    expect(await statuses()).toEqual(first);
    expect(new Set(first)).toEqual(new Set([200, 500, 429, 408]));
    const quiet = createSimulatorApp({ timeScale: 0, seed: 11, profiles, randomFaults: false });
    for (let i = 0; i < 40; i++) expect((await post(quiet.fetch, 'http://sim', CUSTOM, 'converse', converseBody('x'))).status).toBe(200);
  });

  it('never starts a timer at time scale 0', async () => {
    const spy = vi.spyOn(globalThis, 'setTimeout');
    try {
      await replay({ seed: 5 });
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });
});
