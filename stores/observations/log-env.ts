import type { ObservationLogEnv } from './env.ts';

/** Where every replica's observations go and where the canary controller and the analysis read them. */
export type ObservationLogChoice = { kind: 'sqlite' } | { kind: 'postgres'; url: string; schema: string } | { kind: 'dynamodb' };

/** The log an environment parsed with `observationLogEnvShape` (stores/observations/env.ts) names. */
export function observationLogChoice(env: Pick<ObservationLogEnv, 'OBSERVATION_LOG' | 'OBSERVATION_LOG_SCHEMA'>): ObservationLogChoice {
  if (env.OBSERVATION_LOG === 'sqlite' || env.OBSERVATION_LOG === 'dynamodb') return { kind: env.OBSERVATION_LOG };
  return { kind: 'postgres', url: env.OBSERVATION_LOG, schema: env.OBSERVATION_LOG_SCHEMA };
}

/** The log for start-up lines, without a password. */
export function describeLogChoice(choice: ObservationLogChoice): string {
  if (choice.kind !== 'postgres') return choice.kind;
  return `PostgreSQL ${choice.url.replace(/(\/\/[^:/@]+):[^@]*@/, '$1:***@')} (schema ${choice.schema})`;
}
