import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { Observation } from '../../schema/observation.ts';
import { openDatabase } from '../sqlite/database.ts';
import { DurableSink } from './durable.ts';
import type { RecordStore } from './interface.ts';
import { SpillFile } from './spill.ts';
import { readFeedback, readObservations, sqliteRecordStore } from './sqlite.ts';

function observation(i: number): Observation {
  return {
    requestId: `req-${i}`,
    time: 1_700_000_000_000 + i,
    route: 'r',
    intent: 'faq',
    sessionId: `s-${i % 7}`,
    traffic: 'live',
    experimentId: null,
    canaryId: null,
    arm: 'default',
    configId: 'c',
    upstreamModel: 'm',
    operation: 'converse',
    streamed: false,
    status: 200,
    errorCode: null,
    inputTokens: i,
    outputTokens: 2 * i,
    costUsd: i / 1e6,
    ttftMs: 5,
    latencyMs: 5,
    overheadMs: 0.1,
  };
}

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'sink-'));
  const path = join(dir, 'gateway.db');
  const db = openDatabase(path, { busyTimeoutMs: 5 });
  const spill = new SpillFile(join(dir, 'spill.jsonl'));
  return { dir, path, db, spill };
}

describe('DurableSink over SQLite', () => {
  it('stores every record once, in batches, with monotonic sequence numbers', async () => {
    const { db, spill } = setup();
    const sink = new DurableSink(sqliteRecordStore(db), spill, { batchSize: 64 });
    for (let i = 0; i < 1_000; i++) sink.record(observation(i));
    await sink.flush();
    const rows = readObservations(db);
    expect(rows.map((r) => r.requestId)).toEqual(Array.from({ length: 1_000 }, (_, i) => `req-${i}`));
    expect(rows.every((r, i) => i === 0 || r.seq > rows[i - 1]!.seq)).toBe(true);
    expect(rows[10]).toMatchObject(observation(10));
    expect(sink.stats).toMatchObject({ stored: 1_000, spilled: 0, dropped: 0 });
  });

  it('spills while the database is locked by another writer, then replays every record exactly once', async () => {
    const { db, path, spill } = setup();
    const spilled: number[] = [];
    const sink = new DurableSink(sqliteRecordStore(db), spill, { retryMs: 20, onSpilled: (n) => spilled.push(n) });
    for (let i = 0; i < 100; i++) sink.record(observation(i));
    await sink.flush();

    const blocker = new Database(path);
    blocker.exec('BEGIN EXCLUSIVE');
    for (let i = 100; i < 300; i++) sink.record(observation(i));
    await sink.flush();
    expect(sink.stats.storeHealthy).toBe(false);
    expect(spill.hasRecords()).toBe(true);
    expect(sink.ready()).toBe(true);
    for (let i = 300; i < 400; i++) sink.record(observation(i));
    await sink.flush();
    expect(spilled.reduce((a, b) => a + b, 0)).toBe(300);

    blocker.exec('ROLLBACK');
    blocker.close();
    await new Promise((r) => setTimeout(r, 30));
    for (let i = 400; i < 450; i++) sink.record(observation(i));
    await sink.flush();
    const ids = readObservations(db).map((r) => r.requestId);
    expect(ids.length).toBe(450);
    expect(new Set(ids).size).toBe(450);
    expect(spill.hasRecords()).toBe(false);
    expect(sink.stats).toMatchObject({ stored: 450, replayed: 300, dropped: 0, storeHealthy: true });
  });

  it('replays a spill file left by an earlier process at start, skipping rows already stored', async () => {
    const { db, spill } = setup();
    const store = sqliteRecordStore(db);
    store.write({ observations: [observation(1)], feedback: [] });
    spill.append({ observations: [observation(1), observation(2)], feedback: [] });
    const sink = new DurableSink(store, spill);
    await sink.flush();
    expect(readObservations(db).map((r) => r.requestId)).toEqual(['req-1', 'req-2']);
    sink.close();
  });

  it('sends a record that arrives after close to the spill file, and the next process stores it', async () => {
    const { db, spill } = setup();
    const sink = new DurableSink(sqliteRecordStore(db), spill);
    sink.record(observation(1));
    await sink.flush();
    sink.close();
    sink.record(observation(2));
    expect(sink.stats).toMatchObject({ stored: 1, spilled: 1, dropped: 0 });
    expect(readObservations(db).map((r) => r.requestId)).toEqual(['req-1']);
    const next = new DurableSink(sqliteRecordStore(db), spill);
    await next.flush();
    expect(readObservations(db).map((r) => r.requestId)).toEqual(['req-1', 'req-2']);
    next.close();
  });

  it('counts records as dropped only when the store and the spill file both fail', async () => {
    const failing: RecordStore = {
      write: () => {
        throw new Error('store down');
      },
      probe: () => {
        throw new Error('store down');
      },
    };
    const spill = new SpillFile(join(mkdtempSync(join(tmpdir(), 'sink-')), 'spill.jsonl'));
    spill.append = () => {
      throw new Error('disk full');
    };
    const dropped: number[] = [];
    const sink = new DurableSink(failing, spill, { onDropped: (n) => dropped.push(n) });
    sink.record(observation(1));
    sink.record(observation(2));
    await sink.flush();
    expect(sink.stats).toMatchObject({ stored: 0, dropped: 2 });
    expect(dropped.reduce((a, b) => a + b, 0)).toBe(2);
    expect(sink.ready()).toBe(false);
  });

  it('keeps feedback with one row per idempotency key', async () => {
    const { db, spill } = setup();
    const sink = new DurableSink(sqliteRecordStore(db), spill);
    const fb = (eventId: string, idempotencyKey: string | null, value: number) => ({
      eventId,
      receivedAt: 1,
      scope: 'request' as const,
      key: 'req-1',
      metric: 'quality_score' as const,
      value,
      idempotencyKey,
      eventTime: 1,
    });
    sink.recordFeedback([fb('e1', 'k1', 0.5), fb('e2', 'k1', 0.9), fb('e3', null, 0.7), fb('e4', null, 0.7)]);
    await sink.flush();
    expect(readFeedback(db).map((f) => f.eventId)).toEqual(['e1', 'e3', 'e4']);
  });

  it('keeps a batch appended after a line torn by a crash', async () => {
    const { spill } = setup();
    spill.append({ observations: [observation(1)], feedback: [] });
    const { appendFileSync } = await import('node:fs');
    appendFileSync(spill.path, '{"observations": [{"requestId": "torn"');
    spill.append({ observations: [observation(2)], feedback: [] });
    const { batches, torn } = spill.read();
    expect(torn).toBe(1);
    expect(batches.map((b) => b.observations[0]!.requestId)).toEqual(['req-1', 'req-2']);
  });
});
