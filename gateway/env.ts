import { z } from 'zod';
import { checkConfigStoreEnv, configStoreEnvShape, parseEnv } from '../stores/config/env.ts';

const Env = z.object({
  ...configStoreEnvShape,
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  REPORTS_DIR: z.string().min(1).default('reports'),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().nonnegative().default(10_000),
  /** Deregistration delay: the listener stays open this long after SIGTERM, answering 503 with `connection: close`. */
  SHUTDOWN_DELAY_MS: z.coerce.number().int().nonnegative().max(300_000, 'at most 300000 (5 minutes)').default(5_000),
  GATEWAY_API_KEYS: z.string().default(''),
  UPSTREAM: z.enum(['simulator', 'bedrock']).default('simulator'),
  BEDROCK_ENDPOINT: z.url().optional(),
  AWS_BEARER_TOKEN_BEDROCK: z.string().min(1).optional(),
  UPSTREAM_TIMEOUT_MS: z.coerce.number().int().positive().default(60_000),
  MAX_BODY_BYTES: z.coerce.number().int().positive().default(1_048_576),
  SIM_SEED: z.coerce.number().int().default(42),
  SIM_TIME_SCALE: z.coerce.number().min(0).default(1),
  CONFIG_POLL_MS: z.coerce.number().int().min(50).default(300),
  /** `dynamodb` also writes every observation and feedback event to the DynamoDB log (SQLite stays the primary). */
  OBSERVATION_STORE: z.enum(['sqlite', 'dynamodb']).default('sqlite'),
  DYNAMODB_OBSERVATIONS_TABLE: z.string().min(1).default('manga_ab_tests'),
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  ADMIN_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /** Runs the canary controller in this process (only the replica holding the lease acts). */
  CANARY_CONTROLLER: z.enum(['on', 'off']).default('on'),
  /** This replica's id for the controller lease; host name and process id by default. */
  CANARY_REPLICA_ID: z.string().min(1).max(200).optional(),
}).superRefine(checkConfigStoreEnv);
export type GatewayEnvSettings = z.infer<typeof Env>;

/** Reads and checks the environment once, at start-up; the error names each bad variable. */
export function readEnv(source: Record<string, string | undefined> = process.env): GatewayEnvSettings {
  return parseEnv(Env, source);
}
