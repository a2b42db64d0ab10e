import { describe, expect, it } from 'vitest';
import { settingsFromEnv, TARGET_MODES } from './settings.ts';

describe('benchmark settings from the environment', () => {
  it('has defaults, and quick mode shortens the windows', () => {
    const defaults = settingsFromEnv({});
    expect(defaults).toMatchObject({
      seconds: 8,
      warmupSeconds: 2,
      concurrencies: [1, 10, 50],
      chatStreamConcurrencies: [10],
      seed: 42,
      quick: false,
      partial: false,
      cpuProfile: false,
    });
    expect(defaults.targets).toEqual(['direct', 'bare-fetch', 'bare', 'gateway', 'portkey']);
    expect(settingsFromEnv({ BENCH_QUICK: '1', BENCH_CPU_PROF: '1' })).toMatchObject({
      seconds: 1,
      warmupSeconds: 0.3,
      quick: true,
      cpuProfile: true,
    });
  });

  it('measures the Worker only when BENCH_TARGETS names it, on the Bedrock modes', () => {
    expect(settingsFromEnv({}).targets).not.toContain('worker');
    expect(settingsFromEnv({ BENCH_TARGETS: 'gateway,worker' }).targets).toEqual(['gateway', 'worker']);
    expect(TARGET_MODES.worker).toEqual(['converse', 'converse-stream']);
  });

  it('reads subsets as comma lists', () => {
    const s = settingsFromEnv({
      BENCH_TARGETS: 'gateway, direct',
      BENCH_MODES: 'chat-stream',
      BENCH_CONNECTIONS: '4,16',
      BENCH_SECONDS: '2.5',
    });
    expect(s).toMatchObject({
      targets: ['gateway', 'direct'],
      modes: ['chat-stream'],
      concurrencies: [4, 16],
      chatStreamConcurrencies: [4, 16],
      seconds: 2.5,
      partial: true,
    });
  });

  it.each([
    ['BENCH_SECONDS', '-1'],
    ['BENCH_WARMUP_SECONDS', 'soon'],
    ['BENCH_QUICK', 'yes'],
    ['BENCH_SEED', '0'],
    ['BENCH_CONNECTIONS', '10,x'],
    ['BENCH_MODES', 'converse,stream'],
    ['BENCH_TARGETS', 'nginx'],
    ['BENCH_CPU_PROF', 'true'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    expect(() => settingsFromEnv({ [name]: value })).toThrow(new RegExp(`^invalid environment:\\n${name}(\\.\\d+)?: `));
  });
});
