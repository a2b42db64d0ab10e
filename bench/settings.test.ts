import { describe, expect, it } from 'vitest';
import { openModesOf, settingsFromEnv, TARGET_MODES } from './settings.ts';

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
    ['BENCH_OPEN', 'yes'],
    ['BENCH_OPEN_RATES', '200,fast'],
    ['BENCH_OPEN_RATES', '0'],
    ['BENCH_OPEN_RATES', '2.5'],
    ['BENCH_OPEN_SECONDS', '0'],
    ['BENCH_OPEN_CONNECTIONS', '-4'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    expect(() => settingsFromEnv({ [name]: value })).toThrow(new RegExp(`^invalid environment:\\n${name}(\\.\\d+)?: `));
  });

  it('measures the open loop at 200, 500 and 1,000 req/s by default, after the closed loop', () => {
    const defaults = settingsFromEnv({});
    expect(defaults).toMatchObject({ openLoop: 'run', openRates: [200, 500, 1000], openSeconds: 10, openConnections: 256 });
    expect(settingsFromEnv({ BENCH_QUICK: '1' }).openSeconds).toBe(1);
    expect(openModesOf(defaults, 'gateway', ['converse', 'converse-stream', 'chat'])).toEqual(['converse', 'converse-stream']);
    expect(openModesOf(defaults, 'bare-fetch', ['converse'])).toEqual([]);
    expect(openModesOf(defaults, 'portkey', ['chat'])).toEqual([]);
  });

  it('reads the open-loop settings, and skips or isolates it', () => {
    const s = settingsFromEnv({ BENCH_OPEN: 'only', BENCH_OPEN_RATES: '100, 2000', BENCH_OPEN_SECONDS: '3', BENCH_OPEN_CONNECTIONS: '64' });
    expect(s).toMatchObject({ openLoop: 'only', openRates: [100, 2000], openSeconds: 3, openConnections: 64, partial: true });
    const skipped = settingsFromEnv({ BENCH_OPEN: '0' });
    expect(skipped).toMatchObject({ openLoop: 'skip', partial: true });
    expect(openModesOf(skipped, 'gateway', ['converse'])).toEqual([]);
    expect(settingsFromEnv({ BENCH_OPEN: '1' }).partial).toBe(false);
  });

  it('refuses BENCH_OPEN=only when the selection has nothing to measure in open loop', () => {
    expect(() => settingsFromEnv({ BENCH_OPEN: 'only', BENCH_MODES: 'chat,chat-stream' })).toThrow(
      /^invalid environment:\nBENCH_OPEN: only: nothing/,
    );
    expect(() => settingsFromEnv({ BENCH_OPEN: 'only', BENCH_TARGETS: 'portkey,bare-fetch' })).toThrow(/BENCH_OPEN: only: nothing/);
    expect(settingsFromEnv({ BENCH_OPEN: 'only', BENCH_MODES: 'chat,converse' }).openLoop).toBe('only');
  });
});
