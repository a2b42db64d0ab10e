import { describe, expect, it } from 'vitest';
import { createSimulatorApp, type SimulatorOptions } from './app.ts';
import { HAIKU, SONNET_V2 } from './test-support.ts';

const converseBody = JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'hi' }] }] });

function sim(options: SimulatorOptions) {
  const { fetch, control } = createSimulatorApp({ timeScale: 0, randomFaults: false, ...options });
  const converse = async (model = HAIKU) => {
    const res = await fetch(new Request(`http://sim/model/${model}/converse`, { method: 'POST', body: converseBody }));
    return { status: res.status, type: res.headers.get('x-amzn-errortype') };
  };
  const chat = async (model = HAIKU) => {
    const body = JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] });
    const res = await fetch(new Request('http://sim/v1/chat/completions', { method: 'POST', body }));
    return { status: res.status, json: (await res.json()) as { error?: { type: string } } };
  };
  return { converse, chat, control };
}

/** Indices of the throttled calls among `n` Converse calls. */
async function throttledCalls(options: SimulatorOptions, n: number): Promise<number[]> {
  const s = sim(options);
  const out: number[] = [];
  for (let i = 0; i < n; i++) if ((await s.converse()).status === 429) out.push(i);
  return out;
}

describe('simulator throttling profile', () => {
  it("answers a model's first N calls with ThrottlingException 429, then normally; other models are untouched", async () => {
    const s = sim({ throttling: { [HAIKU]: { first: 2 } } });
    expect(await s.converse()).toEqual({ status: 429, type: 'ThrottlingException' });
    expect((await s.converse(SONNET_V2)).status).toBe(200);
    expect(await s.converse()).toEqual({ status: 429, type: 'ThrottlingException' });
    expect((await s.converse()).status).toBe(200);
    expect(s.control.calls(HAIKU).map((c) => c.fault)).toEqual(['throttle', 'throttle', null]);
    s.control.reset();
    expect((await s.converse()).status).toBe(429);
  });

  it('throttles a share of calls, the same ones for the same seed, other ones for another seed', async () => {
    const a = await throttledCalls({ seed: 7, throttling: { [HAIKU]: { share: 0.5 } } }, 60);
    const again = await throttledCalls({ seed: 7, throttling: { [HAIKU]: { share: 0.5 } } }, 60);
    const other = await throttledCalls({ seed: 8, throttling: { [HAIKU]: { share: 0.5 } } }, 60);
    expect(again).toEqual(a);
    expect(other).not.toEqual(a);
    expect(a.length).toBeGreaterThan(15);
    expect(a.length).toBeLessThan(45);
  });

  it('throttles Chat Completions calls too, in OpenAI shape', async () => {
    const s = sim({ throttling: { [HAIKU]: { first: 1 } } });
    const first = await s.chat();
    expect(first.status).toBe(429);
    expect(first.json.error?.type).toBe('rate_limit_error');
    expect((await s.chat()).status).toBe(200);
  });

  it('refuses throttling for an unknown model, and an out-of-range share', () => {
    expect(() => createSimulatorApp({ throttling: { 'no-such-model': { first: 1 } } })).toThrow('unknown model "no-such-model"');
    expect(() => createSimulatorApp({ throttling: { [HAIKU]: { share: 1.5 } } })).toThrow();
  });
});
