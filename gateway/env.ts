import { z } from 'zod';
import { formatIssues } from '../schema/config.ts';
import { DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS } from './stream/interface.ts';

const Env = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  GATEWAY_CONFIG: z.string().min(1).default('config/mangaassist.json'),
  DATA_DIR: z.string().min(1).default('./data'),
  REPORTS_DIR: z.string().min(1).default('reports'),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().nonnegative().default(10_000),
  GATEWAY_API_KEYS: z.string().default(''),
  UPSTREAM: z.enum(['simulator', 'bedrock']).default('simulator'),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  BEDROCK_ENDPOINT: z.url().optional(),
  AWS_BEARER_TOKEN_BEDROCK: z.string().min(1).optional(),
  UPSTREAM_TIMEOUT_MS: z.coerce.number().int().positive().default(60_000),
  /** Longest silence between chunks of an upstream answer that has begun; then the call ends as a 504. */
  UPSTREAM_IDLE_TIMEOUT_MS: z.coerce.number().int().positive().default(DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS),
  MAX_BODY_BYTES: z.coerce.number().int().positive().default(1_048_576),
  SIM_SEED: z.coerce.number().int().default(42),
  SIM_TIME_SCALE: z.coerce.number().min(0).default(1),
  CONFIG_STORE: z.enum(['sqlite', 'upstash', 'dynamodb']).default('sqlite'),
  CONFIG_STORE_PREFIX: z.string().min(1).optional(),
  CONFIG_POLL_MS: z.coerce.number().int().min(50).default(300),
  UPSTASH_REDIS_REST_URL: z.url().optional(),
  UPSTASH_REDIS_REST_TOKEN: z.string().min(1).optional(),
  DYNAMODB_TABLE: z.string().min(1).default('llm-gateway-config'),
  DYNAMODB_ENDPOINT: z.url().optional(),
  /** `dynamodb` also writes every observation and feedback event to the DynamoDB log (SQLite stays the primary). */
  OBSERVATION_STORE: z.enum(['sqlite', 'dynamodb']).default('sqlite'),
  DYNAMODB_OBSERVATIONS_TABLE: z.string().min(1).default('manga_ab_tests'),
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  ADMIN_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /** Runs the canary controller in this process (only the replica holding the lease acts). */
  CANARY_CONTROLLER: z.enum(['on', 'off']).default('on'),
  /** This replica's id for the controller lease; host name and process id by default. */
  CANARY_REPLICA_ID: z.string().min(1).max(200).optional(),
});
export type GatewayEnvSettings = z.infer<typeof Env>;

/** Reads and checks the environment once, at start-up; the error names each bad variable. */
export function readEnv(source: Record<string, string | undefined> = process.env): GatewayEnvSettings {
  const parsed = Env.safeParse(source);
  if (!parsed.success) throw new Error(`invalid environment:\n${formatIssues(parsed.error)}`);
  return parsed.data;
}
