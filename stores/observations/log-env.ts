import { z } from 'zod';

/** Where every replica's observations go and where the canary controller and the analysis read them. */
export type ObservationLogChoice = { kind: 'sqlite' } | { kind: 'postgres'; url: string; schema: string } | { kind: 'dynamodb' };

const POSTGRES_URL = /^postgres(ql)?:\/\/\S+$/;

/**
 * `OBSERVATION_LOG`: `sqlite` (default: each replica's own file under `DATA_DIR`), a `postgres://` URL (one
 * shared log in schema `OBSERVATION_LOG_SCHEMA`, default `public`), or `dynamodb` (the table settings of the
 * DynamoDB observation store). Spread into an entry point's environment schema.
 */
export const observationLogEnvShape = {
  OBSERVATION_LOG: z
    .string()
    .refine((v) => v === 'sqlite' || v === 'dynamodb' || POSTGRES_URL.test(v), {
      message: 'must be sqlite, dynamodb or a postgres:// URL',
    })
    .default('sqlite'),
  OBSERVATION_LOG_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'lower-case letters, digits and _ (at most 63)')
    .default('public'),
};

/** The observation log variables alone, for an entry point that reads nothing else. */
export const ObservationLogEnv = z.object(observationLogEnvShape);
export type ObservationLogEnv = z.infer<typeof ObservationLogEnv>;

/** The log an environment parsed with `observationLogEnvShape` names. */
export function observationLogChoice(env: ObservationLogEnv): ObservationLogChoice {
  if (env.OBSERVATION_LOG === 'sqlite' || env.OBSERVATION_LOG === 'dynamodb') return { kind: env.OBSERVATION_LOG };
  return { kind: 'postgres', url: env.OBSERVATION_LOG, schema: env.OBSERVATION_LOG_SCHEMA };
}

/** The log for start-up lines, without a password. */
export function describeObservationLog(choice: ObservationLogChoice): string {
  if (choice.kind !== 'postgres') return choice.kind;
  return `PostgreSQL ${choice.url.replace(/(\/\/[^:/@]+):[^@]*@/, '$1:***@')} (schema ${choice.schema})`;
}
