import { hostname } from 'node:os';
import { z } from 'zod';
import { redact } from '../warehouse/postgres.ts';
import { dynamoObservationStore } from './dynamodb.ts';
import type { ObservationLog } from './interface.ts';
import { postgresObservationLog } from './postgres.ts';

/** Environment of the observation log; spread into an entry point's zod schema. */
export const observationLogEnvShape = {
  /** `sqlite` (the embedded file under DATA_DIR), `dynamodb` (DYNAMODB_OBSERVATIONS_TABLE) or a `postgres://` URL. */
  OBSERVATION_LOG: z
    .string()
    .default('sqlite')
    .refine((v) => v === 'sqlite' || v === 'dynamodb' || /^postgres(ql)?:\/\/[^/]+/.test(v), {
      message: 'must be sqlite, dynamodb or a postgres:// URL',
    }),
  /** Schema of the PostgreSQL log; created when missing. */
  OBSERVATION_LOG_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'schema names are lower-case letters, digits and _')
    .default('public'),
  DYNAMODB_OBSERVATIONS_TABLE: z.string().min(1).default('manga_ab_tests'),
  /** This replica's id, stamped on every observation; host name and process id by default. */
  REPLICA_ID: z.string().min(1).max(200).optional(),
};

/** The checked observation-log settings (plus the AWS settings the DynamoDB log shares with the config store). */
export type ObservationLogEnv = z.infer<z.ZodObject<typeof observationLogEnvShape>> & {
  AWS_REGION: string;
  DYNAMODB_ENDPOINT?: string;
};

/** `REPLICA_ID`, or `<hostname>:<pid>`. */
export function replicaIdOf(env: Pick<ObservationLogEnv, 'REPLICA_ID'>): string {
  return env.REPLICA_ID ?? `${hostname()}:${process.pid}`;
}

/**
 * The shared log `OBSERVATION_LOG` names, or null for the embedded SQLite file (opened by the gateway under
 * `DATA_DIR`). Nothing connects yet: the log sets itself up at the first write, so a gateway starts while it is down.
 */
export function observationLogFromEnv(env: ObservationLogEnv): ObservationLog | null {
  if (env.OBSERVATION_LOG === 'sqlite') return null;
  if (env.OBSERVATION_LOG === 'dynamodb')
    return dynamoObservationStore({
      table: env.DYNAMODB_OBSERVATIONS_TABLE,
      region: env.AWS_REGION,
      endpoint: env.DYNAMODB_ENDPOINT,
      createTable: Boolean(env.DYNAMODB_ENDPOINT),
    });
  return postgresObservationLog({ url: env.OBSERVATION_LOG, schema: env.OBSERVATION_LOG_SCHEMA });
}

/** Where observations go, for the start-up line (no password). */
export function describeObservationLog(env: ObservationLogEnv, dataDir: string): string {
  if (env.OBSERVATION_LOG === 'sqlite') return `SQLite in ${dataDir}`;
  if (env.OBSERVATION_LOG === 'dynamodb') return `DynamoDB table ${env.DYNAMODB_OBSERVATIONS_TABLE} (spill file in ${dataDir})`;
  return `PostgreSQL ${redact(env.OBSERVATION_LOG)} schema ${env.OBSERVATION_LOG_SCHEMA} (spill file in ${dataDir})`;
}
