import { describe, expect, it } from 'vitest';
import { createSimulatorApp } from '../simulator/app.ts';
import { loadProfiles, parseProfiles, type ProfileSet } from '../simulator/profiles.ts';
import { converseBody, CUSTOM, post } from '../simulator/test-support.ts';
import { embeddedSimulatorOptions, readEnv } from './env.ts';

/** The bundled custom-endpoint profile with fault rates high enough that 200 calls always draw some. */
function faultyProfiles(): ProfileSet {
  const data = JSON.parse(JSON.stringify(loadProfiles().models.get(CUSTOM)!.spec));
  data.rates = { error: 0.1, throttle: 0.1, timeout: 0.05 };
  data.coldStart = { calls: 0, slowdown: 1 };
  return parseProfiles({ intentBudgets: { other: 800 }, models: { [CUSTOM]: data } });
}

/** Statuses of `calls` Converse calls to the embedded simulator as the gateway's environment configures it. */
async function statuses(source: Record<string, string>, calls: number): Promise<number[]> {
  const options = embeddedSimulatorOptions(readEnv({ ...source, SIM_TIME_SCALE: '0' }));
  const sim = createSimulatorApp({ ...options, profiles: faultyProfiles() });
  const out: number[] = [];
  for (let i = 0; i < calls; i++) out.push((await post(sim.fetch, 'http://sim', CUSTOM, 'converse', converseBody(`call ${i}`))).status);
  return out;
}

describe('SIM_FAULTS: random faults of the embedded simulator', () => {
  it('is off by default and reads off and on', () => {
    expect(readEnv({}).SIM_FAULTS).toBe('off');
    expect(embeddedSimulatorOptions(readEnv({})).randomFaults).toBe(false);
    expect(embeddedSimulatorOptions(readEnv({ SIM_FAULTS: 'on' })).randomFaults).toBe(true);
    expect(embeddedSimulatorOptions(readEnv({ SIM_FAULTS: 'off' })).randomFaults).toBe(false);
  });

  it.each(['1', 'true', 'ON', ''])('refuses SIM_FAULTS=%j, naming the variable', (value) => {
    expect(() => readEnv({ SIM_FAULTS: value })).toThrow(/SIM_FAULTS/);
  });

  it('passes the seed and time scale through', () => {
    expect(embeddedSimulatorOptions(readEnv({ SIM_SEED: '9', SIM_TIME_SCALE: '0.5' }))).toEqual({
      seed: 9,
      timeScale: 0.5,
      randomFaults: false,
    });
  });

  it('with faults off, injects no fault in 200 calls even at high profile rates', async () => {
    const off = await statuses({}, 200);
    expect(off.filter((status) => status !== 200)).toEqual([]);
  });

  it('with faults on, the same calls draw 408, 429 and 500 faults', async () => {
    const on = await statuses({ SIM_FAULTS: 'on' }, 200);
    expect(new Set(on)).toEqual(new Set([200, 408, 429, 500]));
  });
});
