import { z } from 'zod';
import { LOG_FORMATS, LOG_LEVELS } from '../../lib/log/interface.ts';
import { parseSecretKey } from '../../lib/secret-box.ts';
import { DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS } from '../stream/interface.ts';

const positive = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/**
 * The Worker's variables and secrets (wrangler.toml `[vars]`, `wrangler secret put`), checked once per isolate.
 * Names match the Node gateway's where the meaning is the same.
 */
export const WorkerEnv = z
  .object({
    /** Upstash Redis REST: the configuration (and data-plane keys) the admin API writes; the bundled file when unset. */
    UPSTASH_REDIS_REST_URL: z.url().optional(),
    UPSTASH_REDIS_REST_TOKEN: z.string().min(1).optional(),
    CONFIG_STORE_PREFIX: z.string().min(1).optional(),
    /** How often an isolate may read the version key (on a request, never on a timer). */
    CONFIG_POLL_MS: z.coerce.number().int().min(50).default(1_000),
    GATEWAY_API_KEYS: z.string().default(''),
    GATEWAY_SECRET_KEY: z
      .string()
      .refine((v) => parseSecretKey(v) !== null, 'must be 32 bytes written as 64 hex digits or base64 (e.g. openssl rand -hex 32)')
      .optional(),
    AWS_REGION: z.string().min(1).default('us-east-1'),
    /** Bedrock Runtime endpoint; the region's by default, the simulator's URL in local runs. */
    BEDROCK_ENDPOINT: z.url().optional(),
    /** A Bedrock API key; otherwise requests are SigV4-signed with the AWS key pair below. */
    AWS_BEARER_TOKEN_BEDROCK: z.string().min(1).optional(),
    AWS_ACCESS_KEY_ID: z.string().min(1).optional(),
    AWS_SECRET_ACCESS_KEY: z.string().min(1).optional(),
    AWS_SESSION_TOKEN: z.string().min(1).optional(),
    /** DynamoDB observation log (table with `pk`/`sk`); off when `off`. */
    OBSERVATION_STORE: z.enum(['dynamodb', 'off']).default('dynamodb'),
    DYNAMODB_OBSERVATIONS_TABLE: z.string().min(1).default('manga_ab_tests'),
    DYNAMODB_ENDPOINT: z.url().optional(),
    UPSTREAM_TIMEOUT_MS: positive(60_000),
    UPSTREAM_IDLE_TIMEOUT_MS: positive(DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS),
    MAX_BODY_BYTES: positive(1_048_576),
    LOG_FORMAT: z.enum(LOG_FORMATS).default('json'),
    LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  })
  .superRefine((env, ctx) => {
    if (env.UPSTASH_REDIS_REST_URL && !env.UPSTASH_REDIS_REST_TOKEN)
      ctx.addIssue({ code: 'custom', path: ['UPSTASH_REDIS_REST_TOKEN'], message: 'required with UPSTASH_REDIS_REST_URL' });
    if (!env.AWS_BEARER_TOKEN_BEDROCK && !(env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY))
      ctx.addIssue({
        code: 'custom',
        path: ['AWS_ACCESS_KEY_ID'],
        message: 'set AWS_BEARER_TOKEN_BEDROCK, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (Bedrock needs one of them)',
      });
    if (env.OBSERVATION_STORE === 'dynamodb' && !(env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY))
      ctx.addIssue({
        code: 'custom',
        path: ['OBSERVATION_STORE'],
        message: 'dynamodb needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or set OBSERVATION_STORE=off)',
      });
  });
export type WorkerSettings = z.infer<typeof WorkerEnv>;

/** The string bindings of a Worker's env (other bindings are left out). */
export function stringBindings(env: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => typeof e[1] === 'string'));
}
