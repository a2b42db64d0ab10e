import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { experimentObservation } from '../../test/support/observations.ts';
import { sqliteRecordStore } from '../../stores/observations/sqlite.ts';
import { openDatabase } from '../../stores/sqlite/database.ts';
import { buildRow } from '../intent-table.ts';
import { queryCells } from './intent-config.ts';

describe('guardrail interventions per intent and configuration', () => {
  it('counts live answers whose stop reason is guardrail_intervened, and the row shows their share', async () => {
    const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'gr-cells-')), 'gateway.db'));
    const stops = ['guardrail_intervened', 'end_turn', 'guardrail_intervened', 'tool_use', null];
    const observations = [
      ...stops.map((stopReason, i) => experimentObservation(i, { stopReason })),
      // Not live: never counted.
      experimentObservation(9, { stopReason: 'guardrail_intervened', traffic: 'eval' }),
    ];
    await sqliteRecordStore(db).write({ observations, feedback: [] });
    const [cell] = queryCells(db, { since: 0 }, {}, 0.75);
    expect(cell).toMatchObject({ intent: 'recommendation', configId: 'c', requests: 5, guardrailed: 2 });
    expect(buildRow(cell!, undefined, undefined, 0.05, 30).guardrailRate).toBeCloseTo(0.4, 12);
    db.close();
  });
});
