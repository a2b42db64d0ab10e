import { describe, expect, it } from 'vitest';
import { readSimulatorEnv } from './env.ts';

describe('the standalone simulator environment', () => {
  it('has defaults', () => {
    expect(readSimulatorEnv({})).toEqual({ port: 8090, host: '127.0.0.1', options: { seed: '1', timeScale: 1, randomFaults: true } });
  });

  it('reads every setting', () => {
    const env = {
      SIM_PORT: '0',
      SIM_HOST: '0.0.0.0',
      SIM_SEED: 'run-7',
      SIM_TIME_SCALE: '0.01',
      SIM_RANDOM_FAULTS: '0',
      SIM_ACCESS_KEY_ID: 'AKID',
      SIM_SECRET_ACCESS_KEY: 'secret',
      SIM_API_KEY: 'sim-key',
    };
    expect(readSimulatorEnv(env)).toEqual({
      port: 0,
      host: '0.0.0.0',
      options: {
        seed: 'run-7',
        timeScale: 0.01,
        randomFaults: false,
        credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' },
        apiKey: 'sim-key',
      },
    });
  });

  it.each([
    ['SIM_PORT', { SIM_PORT: '70000' }],
    ['SIM_PORT', { SIM_PORT: 'http' }],
    ['SIM_TIME_SCALE', { SIM_TIME_SCALE: '-1' }],
    ['SIM_RANDOM_FAULTS', { SIM_RANDOM_FAULTS: 'false' }],
    ['SIM_SECRET_ACCESS_KEY', { SIM_ACCESS_KEY_ID: 'AKID' }],
  ])('refuses a bad %s, naming it', (name, env) => {
    expect(() => readSimulatorEnv(env)).toThrow(new RegExp(`^invalid environment:\\n${name}: `));
  });
});
