import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sqliteRecordStore } from '../../stores/observations/sqlite.ts';
import { openDatabase } from '../../stores/sqlite/database.ts';
import { observation } from '../../test/support/canary-windows.ts';
import { memoryWindowSource, type WindowSource } from './window-source.ts';
import { selectWindowSource, WINDOW_SOURCE_FACTORIES } from './window-source-select.ts';

const query = { canaryId: 'k', from: 0, to: 10_000 };

describe('window source selection from the observation log', () => {
  it('reads the replica file for sqlite (in a worker thread)', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'canary-select-')), 'gateway.db');
    const db = openDatabase(path);
    await sqliteRecordStore(db).write({ observations: [observation(1, { arm: 'canary' }), observation(2, {})], feedback: [] });
    db.close();
    const selected = selectWindowSource({ kind: 'sqlite' }, { observationsPath: path });
    if (!selected.ok) throw new Error(selected.message);
    const result = await selected.source.figures(query);
    await selected.source.close();
    expect(result).toMatchObject({ ok: true, value: { candidate: { figures: { requests: 1 } }, baseline: { figures: { requests: 1 } } } });
  });

  it('reads a PostgreSQL log for a postgres URL, reporting an unreachable one as a value', async () => {
    const selected = selectWindowSource(
      { kind: 'postgres', url: 'postgres://postgres@127.0.0.1:1/test', schema: 'fleet' },
      { observationsPath: 'x' },
    );
    if (!selected.ok) throw new Error(selected.message);
    const result = await selected.source.figures(query);
    await selected.source.close();
    expect(result).toMatchObject({ ok: false, message: expect.stringContaining('127.0.0.1:1') });
  });

  it('refuses a log without a factory, naming it and the available ones; a factory added to the map is used', async () => {
    const { sqlite, postgres } = WINDOW_SOURCE_FACTORIES;
    expect(selectWindowSource({ kind: 'dynamodb' }, { observationsPath: 'x' }, { sqlite, postgres })).toEqual({
      ok: false,
      message: 'no canary window source for OBSERVATION_LOG=dynamodb (available: sqlite, postgres)',
    });
    const rows = [
      { canaryId: 'k', time: 1, arm: 'canary' as const, sessionId: 's', failed: false, latencyMs: 5, costUsd: 0.01, quality: null },
    ];
    const dynamo: WindowSource = memoryWindowSource(() => rows);
    const selected = selectWindowSource(
      { kind: 'dynamodb' },
      { observationsPath: 'x' },
      { ...WINDOW_SOURCE_FACTORIES, dynamodb: () => dynamo },
    );
    expect(selected).toEqual({ ok: true, source: dynamo });
  });

  it('reads DynamoDB windows from the DynamoDB log the gateway writes to, and says so when none is given', () => {
    expect(Object.keys(WINDOW_SOURCE_FACTORIES).sort()).toEqual(['dynamodb', 'postgres', 'sqlite']);
    expect(() => selectWindowSource({ kind: 'dynamodb' }, { observationsPath: 'x' })).toThrow(
      'OBSERVATION_LOG=dynamodb needs the DynamoDB log to read canary windows from',
    );
  });
});
