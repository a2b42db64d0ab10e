import { describe, expect, it } from 'vitest';
import { DEFAULT_CONNECTION_LIMITS } from '../lib/node/connection-limits.ts';
import { connectionLimits, fallbackPolicy, readEnv } from './env.ts';
import { DEFAULT_FALLBACK_POLICY } from './fallback/policy.ts';

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

describe('client connection settings', () => {
  it("default to the listener's documented defaults", () => {
    expect(connectionLimits(readEnv({}))).toEqual(DEFAULT_CONNECTION_LIMITS);
  });

  it('are read from the environment', () => {
    const env = readEnv({
      CLIENT_FIRST_BYTES_TIMEOUT_MS: '2000',
      CLIENT_H2_PREFACE_TIMEOUT_MS: '1000',
      CLIENT_HEADERS_TIMEOUT_MS: '5000',
      CLIENT_REQUEST_TIMEOUT_MS: '60000',
      CLIENT_KEEP_ALIVE_TIMEOUT_MS: '30000',
      CLIENT_H2_IDLE_TIMEOUT_MS: '20000',
      MAX_CLIENT_CONNECTIONS: '64',
    });
    expect(connectionLimits(env)).toEqual({
      firstBytesTimeoutMs: 2000,
      h2PrefaceTimeoutMs: 1000,
      headersTimeoutMs: 5000,
      requestTimeoutMs: 60000,
      keepAliveTimeoutMs: 30000,
      h2IdleTimeoutMs: 20000,
      maxConnections: 64,
    });
  });

  it.each([
    ['CLIENT_FIRST_BYTES_TIMEOUT_MS', '0'],
    ['CLIENT_H2_IDLE_TIMEOUT_MS', 'soon'],
    ['MAX_CLIENT_CONNECTIONS', '-1'],
    ['CLIENT_KEEP_ALIVE_TIMEOUT_MS', '1.5'],
  ])('refuse %s=%s, naming the variable', (name, value) => {
    expect(() => readEnv({ [name]: value })).toThrow(name);
  });

  it('refuse a headers deadline longer than the request deadline', () => {
    const read = () => readEnv({ CLIENT_HEADERS_TIMEOUT_MS: '60000', CLIENT_REQUEST_TIMEOUT_MS: '30000' });
    expect(read).toThrow(/CLIENT_HEADERS_TIMEOUT_MS.*CLIENT_REQUEST_TIMEOUT_MS/s);
  });
});

describe('log settings', () => {
  it('default to text lines at info level', () => {
    expect(readEnv({})).toMatchObject({ LOG_FORMAT: 'text', LOG_LEVEL: 'info' });
    expect(readEnv({ LOG_FORMAT: 'json', LOG_LEVEL: 'debug' })).toMatchObject({ LOG_FORMAT: 'json', LOG_LEVEL: 'debug' });
  });

  it.each([
    ['LOG_FORMAT', 'yaml'],
    ['LOG_LEVEL', 'verbose'],
  ])('refuse %s=%s, naming the variable', (name, value) => {
    expect(() => readEnv({ [name]: value })).toThrow(new RegExp(name));
  });
});

describe('fallback settings', () => {
  it('default to the documented policy and are read from the environment', () => {
    expect(fallbackPolicy(readEnv({}))).toEqual(DEFAULT_FALLBACK_POLICY);
    const env = readEnv({
      FALLBACK_MAX_ATTEMPTS: '2',
      FALLBACK_BUDGET_MS: '5000',
      FALLBACK_BACKOFF_BASE_MS: '10',
      FALLBACK_BACKOFF_MAX_MS: '40',
    });
    expect(fallbackPolicy(env)).toEqual({ maxAttempts: 2, budgetMs: 5000, baseDelayMs: 10, maxDelayMs: 40 });
  });

  it.each([
    ['FALLBACK_MAX_ATTEMPTS', '0'],
    ['FALLBACK_MAX_ATTEMPTS', '11'],
    ['FALLBACK_MAX_ATTEMPTS', 'three'],
    ['FALLBACK_BUDGET_MS', '0'],
    ['FALLBACK_BACKOFF_BASE_MS', '-1'],
    ['FALLBACK_BACKOFF_MAX_MS', '60001'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    expect(() => readEnv({ [name]: value })).toThrow(new RegExp(name));
  });

  it('refuses a base backoff above the largest one', () => {
    expect(() => readEnv({ FALLBACK_BACKOFF_BASE_MS: '500', FALLBACK_BACKOFF_MAX_MS: '100' })).toThrow(/FALLBACK_BACKOFF_BASE_MS/);
  });
});
