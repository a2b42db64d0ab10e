import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { DurableSink } from '../stores/observations/durable.ts';
import { logObservation } from '../stores/observations/log-contract.ts';
import { postgresObservationLog } from '../stores/observations/postgres.ts';
import { logLockKey } from '../stores/observations/postgres-schema.ts';
import { SpillFile } from '../stores/observations/spill.ts';
import { tempDir } from './support/gateway.ts';
import { PG_URL, postgresMissing, testSchema } from './warehouse-support.ts';

const pgMissing = await postgresMissing();

/** A plain connection to the test database, for holding locks the log must not wait on. */
async function connect(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: PG_URL });
  client.on('error', () => {});
  await client.connect();
  return client;
}

describe.skipIf(Boolean(pgMissing))('PostgreSQL observation log: set-up never waits on locks without bound', () => {
  it('a replica starting while a read of the log is open sets up and appends without waiting for the read', {
    timeout: 30_000,
  }, async () => {
    const { schema, drop } = testSchema('log_setup');
    const first = postgresObservationLog({ url: PG_URL, schema });
    const reader = await connect();
    const second = postgresObservationLog({ url: PG_URL, schema, statementTimeoutMs: 2_000 });
    try {
      await first.write({ observations: [logObservation(1)], feedback: [] });
      // An analysis or a canary window reading the log: its transaction holds the tables until it ends.
      await reader.query('BEGIN');
      await reader.query(`SELECT COUNT(*) FROM ${schema}.observations`);
      // The second replica's set-up must not take a table lock that waits for the read (and queues all appends).
      await second.write({ observations: [logObservation(2)], feedback: [] });
      const { rows } = await reader.query(`SELECT request_id FROM ${schema}.observations ORDER BY seq`);
      expect(rows.map((r) => r.request_id)).toEqual(['req-1', 'req-2']);
      await reader.query('COMMIT');
    } finally {
      await reader.end().catch(() => {});
      await first.close();
      await second.close();
      await drop();
    }
  });

  it('a set-up held up by another replica fails after the lock timeout, so a flush spills instead of hanging', {
    timeout: 30_000,
  }, async () => {
    const { schema, drop } = testSchema('log_setup');
    const holder = await connect();
    const log = postgresObservationLog({ url: PG_URL, schema, statementTimeoutMs: 300 });
    const spill = new SpillFile(join(tempDir('log-setup-'), 'observations.spill.jsonl'));
    const sink = new DurableSink(log, spill);
    try {
      // Another replica stuck in its set-up keeps the schema's set-up lock.
      await holder.query('SELECT pg_advisory_lock(hashtext($1))', [logLockKey(schema)]);
      await expect(log.write({ observations: [logObservation(1)], feedback: [] })).rejects.toThrow(/lock timeout/);
      sink.record(logObservation(2));
      await sink.flush();
      expect(sink.stats).toMatchObject({ stored: 0, spilled: 1, dropped: 0 });
      expect(spill.hasRecords()).toBe(true);
    } finally {
      sink.close();
      await holder.end().catch(() => {});
      await log.close();
      await drop();
    }
  });
});
