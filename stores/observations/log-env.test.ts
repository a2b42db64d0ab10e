import { describe, expect, it } from 'vitest';
import { parseEnv } from '../../schema/env.ts';
import { z } from 'zod';
import { observationLogEnvShape } from './env.ts';
import { describeLogChoice, observationLogChoice } from './log-env.ts';

const ObservationLogEnv = z.object(observationLogEnvShape);

describe('OBSERVATION_LOG', () => {
  it('defaults to the embedded SQLite file, and names dynamodb and a PostgreSQL log with its schema', () => {
    expect(observationLogChoice(parseEnv(ObservationLogEnv, {}))).toEqual({ kind: 'sqlite' });
    expect(observationLogChoice(parseEnv(ObservationLogEnv, { OBSERVATION_LOG: 'dynamodb' }))).toEqual({ kind: 'dynamodb' });
    const pg = observationLogChoice(
      parseEnv(ObservationLogEnv, { OBSERVATION_LOG: 'postgres://gw:secret@db:5432/obs', OBSERVATION_LOG_SCHEMA: 'fleet_1' }),
    );
    expect(pg).toEqual({ kind: 'postgres', url: 'postgres://gw:secret@db:5432/obs', schema: 'fleet_1' });
    expect(describeLogChoice(pg)).toBe('PostgreSQL postgres://gw:***@db:5432/obs (schema fleet_1)');
    expect(observationLogChoice(parseEnv(ObservationLogEnv, { OBSERVATION_LOG: 'postgresql://db/obs' }))).toMatchObject({
      schema: 'public',
    });
  });

  it.each([
    [{ OBSERVATION_LOG: 'mysql://db/obs' }, /OBSERVATION_LOG.*must be sqlite, dynamodb or a postgres:\/\/ URL/s],
    [{ OBSERVATION_LOG: 'SQLite' }, /OBSERVATION_LOG/],
    [{ OBSERVATION_LOG: 'postgres://db/obs', OBSERVATION_LOG_SCHEMA: 'Fleet-1' }, /OBSERVATION_LOG_SCHEMA.*lower-case/s],
  ])('refuses %o, naming the variable', (env, message) => {
    expect(() => parseEnv(ObservationLogEnv, env)).toThrow(message);
  });
});
