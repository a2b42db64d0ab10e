import { describe, expect, it } from 'vitest';
import { DEFAULT_CONNECTION_LIMITS } from '../lib/node/connection-limits.ts';
import { connectionLimits, fallbackPolicy, readEnv, upstreamHttp } from './env.ts';
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
      CLIENT_H2_MAX_STREAMS: '250',
    });
    expect(connectionLimits(env)).toEqual({
      firstBytesTimeoutMs: 2000,
      h2PrefaceTimeoutMs: 1000,
      headersTimeoutMs: 5000,
      requestTimeoutMs: 60000,
      keepAliveTimeoutMs: 30000,
      h2IdleTimeoutMs: 20000,
      maxConnections: 64,
      h2MaxStreams: 250,
    });
  });

  it.each([
    ['CLIENT_FIRST_BYTES_TIMEOUT_MS', '0'],
    ['CLIENT_H2_IDLE_TIMEOUT_MS', 'soon'],
    ['MAX_CLIENT_CONNECTIONS', '-1'],
    ['CLIENT_H2_MAX_STREAMS', '0'],
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

describe('readEnv: shadow traffic settings', () => {
  it('default to 4 concurrent shadow calls and 64 KiB bodies, and are read from the environment', () => {
    const env = readEnv({});
    expect(env.SHADOW_MAX_CONCURRENCY).toBe(4);
    expect(env.SHADOW_MAX_BODY_BYTES).toBe(65_536);
    const set = readEnv({ SHADOW_MAX_CONCURRENCY: '0', SHADOW_MAX_BODY_BYTES: '1024' });
    expect([set.SHADOW_MAX_CONCURRENCY, set.SHADOW_MAX_BODY_BYTES]).toEqual([0, 1024]);
  });

  it.each([
    ['SHADOW_MAX_CONCURRENCY', '-1'],
    ['SHADOW_MAX_CONCURRENCY', 'four'],
    ['SHADOW_MAX_CONCURRENCY', '1001'],
    ['SHADOW_MAX_BODY_BYTES', '0'],
    ['SHADOW_MAX_BODY_BYTES', '1.5'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    expect(() => readEnv({ [name]: value })).toThrow(new RegExp(name));
  });
});

describe('observation log settings', () => {
  it('default to the embedded SQLite log and accept dynamodb and a postgres URL with a schema', () => {
    expect(readEnv({}).OBSERVATION_LOG).toBe('sqlite');
    expect(readEnv({ OBSERVATION_LOG: 'dynamodb' }).OBSERVATION_LOG).toBe('dynamodb');
    const env = readEnv({ OBSERVATION_LOG: 'postgres://127.0.0.1:5432/test', OBSERVATION_LOG_SCHEMA: 'fleet_log', REPLICA_ID: 'gw-1' });
    expect([env.OBSERVATION_LOG, env.OBSERVATION_LOG_SCHEMA, env.REPLICA_ID]).toEqual([
      'postgres://127.0.0.1:5432/test',
      'fleet_log',
      'gw-1',
    ]);
  });

  it.each([
    [{ OBSERVATION_LOG: 'mysql://db/x' }, /OBSERVATION_LOG.*sqlite, dynamodb or a postgres/],
    [{ OBSERVATION_LOG: 'postgres://h/db', OBSERVATION_LOG_SCHEMA: 'Bad-Name' }, /OBSERVATION_LOG_SCHEMA/],
    [{ OBSERVATION_LOG: 'dynamodb', OBSERVATION_STORE: 'dynamodb' }, /OBSERVATION_STORE/],
  ])('refuses %o, naming the variable', (values, message) => {
    expect(() => readEnv(values)).toThrow(message);
  });
});

describe('upstream connection pool settings', () => {
  it('default to 256 HTTP/1.1 connections per origin and are read from the environment', () => {
    expect(upstreamHttp(readEnv({}))).toEqual({ connections: 256 });
    expect(upstreamHttp(readEnv({ UPSTREAM_MAX_CONNECTIONS: '12000' }))).toEqual({ connections: 12_000 });
  });

  it.each([
    [{ UPSTREAM_MAX_CONNECTIONS: '0' }, 'UPSTREAM_MAX_CONNECTIONS'],
    [{ UPSTREAM_MAX_CONNECTIONS: 'many' }, 'UPSTREAM_MAX_CONNECTIONS'],
  ])('refuses %o, naming the variable', (values, name) => {
    expect(() => readEnv(values)).toThrow(name);
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
