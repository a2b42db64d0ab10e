import { afterEach, describe, expect, it, vi } from 'vitest';
import { serviceMissing } from './support/services.ts';

const ci = process.env.CI;
afterEach(() => {
  if (ci === undefined) delete process.env.CI;
  else process.env.CI = ci;
  vi.restoreAllMocks();
});

describe('a test whose service is missing', () => {
  it('runs when the service is there', () => {
    process.env.CI = 'true';
    expect(serviceMissing('the Redis tests', null, 'start Redis')).toBeNull();
  });

  it('is skipped with the reason and the way to get the service printed, outside CI', () => {
    delete process.env.CI;
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(serviceMissing('the Redis tests', 'no Redis at 127.0.0.1:6379', 'start Redis')).toBe('no Redis at 127.0.0.1:6379; start Redis');
    expect(warn).toHaveBeenCalledWith('skipping the Redis tests: no Redis at 127.0.0.1:6379; start Redis');
  });

  it('fails under CI=true, naming the service and the way to get it', () => {
    process.env.CI = 'true';
    expect(() => serviceMissing('the Redis tests', 'no Redis at 127.0.0.1:6379', 'start Redis')).toThrow(
      /the Redis tests cannot run: no Redis at 127\.0\.0\.1:6379; start Redis \(CI=true/,
    );
  });

  it('is skipped under CI=true too when the tool is optional', () => {
    process.env.CI = 'true';
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(serviceMissing('the promtool check', 'no promtool', 'install it', { optional: true })).toBe('no promtool; install it');
  });
});
