import { describe, expect, it } from 'vitest';
import { readEnv } from './env.ts';

describe('readEnv: shutdown settings', () => {
  it('defaults to a 5 s deregistration delay and a 10 s grace period', () => {
    const env = readEnv({});
    expect(env.SHUTDOWN_DELAY_MS).toBe(5_000);
    expect(env.SHUTDOWN_GRACE_MS).toBe(10_000);
    expect(readEnv({ SHUTDOWN_DELAY_MS: '0' }).SHUTDOWN_DELAY_MS).toBe(0);
  });

  it.each(['-1', '1.5', 'five', '300001'])('refuses SHUTDOWN_DELAY_MS=%s, naming the variable', (value) => {
    expect(() => readEnv({ SHUTDOWN_DELAY_MS: value })).toThrow(/SHUTDOWN_DELAY_MS/);
  });
});
