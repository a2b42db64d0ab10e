import { z } from 'zod';
import { checkConfigStoreEnv, configStoreEnvShape, parseEnv } from '../stores/config/env.ts';
import type { ConnectionLimits } from '../lib/node/connection-limits.ts';
import { DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS } from './stream/interface.ts';
import { DEFAULT_FALLBACK_POLICY, type FallbackPolicy } from './fallback/policy.ts';
import { LOG_FORMATS, LOG_LEVELS } from '../lib/log/interface.ts';
import { parseSecretKey } from '../lib/secret-box.ts';
import { observationLogEnvShape } from '../stores/observations/env.ts';

const ms = (fallback: number) => z.coerce.number().int().min(1).max(3_600_000).default(fallback);

const Env = z
  .object({
    ...configStoreEnvShape,
    PORT: z.coerce.number().int().min(0).max(65535).default(8080),
    HOST: z.string().min(1).default('127.0.0.1'),
    REPORTS_DIR: z.string().min(1).default('reports'),
    SHUTDOWN_GRACE_MS: z.coerce.number().int().nonnegative().default(10_000),
    /** Deregistration delay: the listener stays open this long after SIGTERM, answering 503 with `connection: close`. */
    SHUTDOWN_DELAY_MS: z.coerce.number().int().nonnegative().max(300_000, 'at most 300000 (5 minutes)').default(5_000),
    GATEWAY_API_KEYS: z.string().default(''),
    /** Seals the secrets of SigV4 keys: 32 bytes as 64 hex digits or base64; generated under DATA_DIR when unset. */
    GATEWAY_SECRET_KEY: z
      .string()
      .refine((v) => parseSecretKey(v) !== null, 'must be 32 bytes written as 64 hex digits or base64 (e.g. openssl rand -hex 32)')
      .optional(),
    UPSTREAM: z.enum(['simulator', 'bedrock']).default('simulator'),
    BEDROCK_ENDPOINT: z.url().optional(),
    AWS_BEARER_TOKEN_BEDROCK: z.string().min(1).optional(),
    UPSTREAM_TIMEOUT_MS: z.coerce.number().int().positive().default(60_000),
    /** Connections per upstream origin; over HTTP/1.1 each open stream holds one, further requests wait for one. */
    UPSTREAM_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(1_000_000).default(256),
    /** Longest silence between chunks of an upstream answer that has begun; then the call ends as a 504. */
    UPSTREAM_IDLE_TIMEOUT_MS: z.coerce.number().int().positive().default(DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS),
    /** Upstream attempts per request with fallbacks, the first included (1: no fallbacks). */
    FALLBACK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(DEFAULT_FALLBACK_POLICY.maxAttempts),
    /** No fallback attempt starts later than this after the first attempt started. */
    FALLBACK_BUDGET_MS: ms(DEFAULT_FALLBACK_POLICY.budgetMs),
    /** Backoff before the first fallback; doubles per further attempt, jittered, capped by FALLBACK_BACKOFF_MAX_MS. */
    FALLBACK_BACKOFF_BASE_MS: z.coerce.number().int().min(0).max(60_000).default(DEFAULT_FALLBACK_POLICY.baseDelayMs),
    FALLBACK_BACKOFF_MAX_MS: z.coerce.number().int().min(0).max(60_000).default(DEFAULT_FALLBACK_POLICY.maxDelayMs),
    MAX_BODY_BYTES: z.coerce.number().int().positive().default(1_048_576),
    /** Shadow requests running at once; one more is dropped and counted (`gateway_shadow_requests_total{outcome="dropped_budget"}`). */
    SHADOW_MAX_CONCURRENCY: z.coerce.number().int().min(0).max(1_000).default(4),
    /** Request bodies larger than this are not shadowed (nor kept in memory for it). */
    SHADOW_MAX_BODY_BYTES: z.coerce.number().int().positive().max(16_777_216).default(65_536),
    SIM_SEED: z.coerce.number().int().default(42),
    SIM_TIME_SCALE: z.coerce.number().min(0).default(1),
    /** Faults drawn from the profiles' error, throttle and timeout rates in the embedded simulator; off unless asked for. */
    SIM_FAULTS: z.enum(['off', 'on'], { error: 'must be off or on' }).default('off'),
    CONFIG_POLL_MS: z.coerce.number().int().min(50).default(300),
    /** `dynamodb` also writes every observation and feedback event to the DynamoDB log (SQLite stays the primary). */
    OBSERVATION_STORE: z.enum(['sqlite', 'dynamodb']).default('sqlite'),
    ...observationLogEnvShape,
    ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    ADMIN_PORT: z.coerce.number().int().min(0).max(65535).optional(),
    /** Runs the canary controller in this process (only the replica holding the lease acts). */
    CANARY_CONTROLLER: z.enum(['on', 'off']).default('on'),
    /** This replica's id for the controller lease; REPLICA_ID (host name and process id) by default. */
    CANARY_REPLICA_ID: z.string().min(1).max(200).optional(),
    /** Client connections: deadlines for idle sockets and a cap on open ones (README, "Client connections"). */
    CLIENT_FIRST_BYTES_TIMEOUT_MS: ms(10_000),
    CLIENT_H2_PREFACE_TIMEOUT_MS: ms(5_000),
    CLIENT_HEADERS_TIMEOUT_MS: ms(30_000),
    CLIENT_REQUEST_TIMEOUT_MS: ms(300_000),
    CLIENT_KEEP_ALIVE_TIMEOUT_MS: ms(65_000),
    CLIENT_H2_IDLE_TIMEOUT_MS: ms(65_000),
    /** `text` (one readable line each) or `json` (one JSON object per line: time, level, msg, fields). */
    LOG_FORMAT: z.enum(LOG_FORMATS).default('text'),
    /** Lines below this level are not written. */
    LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
    MAX_CLIENT_CONNECTIONS: z.coerce.number().int().min(1).max(1_000_000).default(1_000),
    /** Streams one HTTP/2 client session may have open at once. */
    CLIENT_H2_MAX_STREAMS: z.coerce.number().int().min(1).max(1_000_000).default(1_000),
  })
  .superRefine(checkConfigStoreEnv)
  .refine((env) => !(env.OBSERVATION_STORE === 'dynamodb' && env.OBSERVATION_LOG === 'dynamodb'), {
    path: ['OBSERVATION_STORE'],
    message: 'OBSERVATION_STORE=dynamodb copies the SQLite log to DynamoDB; with OBSERVATION_LOG=dynamodb the log is DynamoDB already',
  })
  .refine((env) => env.FALLBACK_BACKOFF_BASE_MS <= env.FALLBACK_BACKOFF_MAX_MS, {
    path: ['FALLBACK_BACKOFF_BASE_MS'],
    message: 'must not exceed FALLBACK_BACKOFF_MAX_MS',
  })
  .refine((env) => env.CLIENT_HEADERS_TIMEOUT_MS <= env.CLIENT_REQUEST_TIMEOUT_MS, {
    path: ['CLIENT_HEADERS_TIMEOUT_MS'],
    message: 'must not exceed CLIENT_REQUEST_TIMEOUT_MS (the headers are part of the request)',
  });
export type GatewayEnvSettings = z.infer<typeof Env>;

/** Reads and checks the environment once, at start-up; the error names each bad variable. */
export function readEnv(source: Record<string, string | undefined> = process.env): GatewayEnvSettings {
  return parseEnv(Env, source);
}

/** The embedded simulator's seed, time scale and whether it draws faults from its profiles (`SIM_FAULTS`). */
export function embeddedSimulatorOptions(env: GatewayEnvSettings): { seed: number; timeScale: number; randomFaults: boolean } {
  return { seed: env.SIM_SEED, timeScale: env.SIM_TIME_SCALE, randomFaults: env.SIM_FAULTS === 'on' };
}

/** The listener's connection deadlines and cap from the checked environment. */
export function connectionLimits(env: GatewayEnvSettings): ConnectionLimits {
  return {
    firstBytesTimeoutMs: env.CLIENT_FIRST_BYTES_TIMEOUT_MS,
    h2PrefaceTimeoutMs: env.CLIENT_H2_PREFACE_TIMEOUT_MS,
    headersTimeoutMs: env.CLIENT_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: env.CLIENT_REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: env.CLIENT_KEEP_ALIVE_TIMEOUT_MS,
    h2IdleTimeoutMs: env.CLIENT_H2_IDLE_TIMEOUT_MS,
    maxConnections: env.MAX_CLIENT_CONNECTIONS,
    h2MaxStreams: env.CLIENT_H2_MAX_STREAMS,
  };
}

/** The upstream connection pool from the checked environment (`UPSTREAM_MAX_CONNECTIONS`). */
export function upstreamHttp(env: GatewayEnvSettings): { connections: number } {
  return { connections: env.UPSTREAM_MAX_CONNECTIONS };
}

/** The fallback policy from the checked environment (`FALLBACK_*`). */
export function fallbackPolicy(env: GatewayEnvSettings): FallbackPolicy {
  return {
    maxAttempts: env.FALLBACK_MAX_ATTEMPTS,
    budgetMs: env.FALLBACK_BUDGET_MS,
    baseDelayMs: env.FALLBACK_BACKOFF_BASE_MS,
    maxDelayMs: env.FALLBACK_BACKOFF_MAX_MS,
  };
}
