import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { Observation } from '../../schema/observation.ts';
import { openDatabase } from '../sqlite/database.ts';
import { DurableSink } from './durable.ts';
import { SpillFile } from './spill.ts';
import { readFeedback, readObservations } from './sqlite.ts';
import { sqliteThreadRecordStore, type SqliteThreadRecordStore } from './sqlite-thread.ts';

const observation = (i: number): Observation => ({
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
  streamed: i % 2 === 0,
  status: 200,
  errorCode: null,
  inputTokens: i,
  outputTokens: 2 * i,
  costUsd: i / 1e6,
  ttftMs: 5,
  latencyMs: 5,
  overheadMs: 0.1,
  failedAttempts: i % 3 === 0 ? [{ configId: 'x', status: 429, errorCode: 'ThrottlingException', ms: 3 }] : null,
});

const range = (from: number, to: number): Observation[] => Array.from({ length: to - from }, (_, i) => observation(from + i));

const opened: SqliteThreadRecordStore[] = [];
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
});

function setup(options: Parameters<typeof sqliteThreadRecordStore>[1] = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'sink-thread-'));
  const path = join(dir, 'gateway.db');
  // The gateway's own connection: runs the migrations first, and reads what the worker wrote.
  const db = openDatabase(path, { busyTimeoutMs: 5 });
  const store = sqliteThreadRecordStore(path, options);
  opened.push(store);
  return { dir, path, db, store, spill: new SpillFile(join(dir, 'spill.jsonl')) };
}

describe('SQLite record store in a worker thread', () => {
  it('resolves a write once committed, visible to the process connection; a replayed batch is stored once', async () => {
    const { db, store } = setup();
    const feedback = [
      {
        eventId: 'e1',
        receivedAt: 1,
        scope: 'request' as const,
        key: 'req-1',
        metric: 'quality_score' as const,
        value: 0.5,
        idempotencyKey: null,
        eventTime: 1,
      },
    ];
    await store.write({ observations: range(0, 3), feedback });
    expect(readObservations(db)).toMatchObject(range(0, 3));
    await store.write({ observations: range(0, 5), feedback });
    expect(readObservations(db).map((r) => r.requestId)).toEqual(range(0, 5).map((o) => o.requestId));
    expect(readFeedback(db).map((f) => f.eventId)).toEqual(['e1']);
    await expect(store.probe()).resolves.toBeUndefined();
  });

  it('rejects writes and probes while another connection holds the lock, and takes writes once it is released', async () => {
    const { db, path, store } = setup({ busyTimeoutMs: 10 });
    const blocker = new Database(path);
    blocker.exec('BEGIN EXCLUSIVE');
    await expect(store.write({ observations: range(0, 2), feedback: [] })).rejects.toThrow(/locked/);
    await expect(store.probe()).rejects.toThrow(/locked/);
    blocker.exec('ROLLBACK');
    blocker.close();
    await store.write({ observations: range(0, 2), feedback: [] });
    expect(readObservations(db)).toHaveLength(2);
  });

  it('lets the writes under way commit at close, then refuses writes', async () => {
    const { db, store } = setup();
    const writes = [0, 1, 2, 3].map((k) => store.write({ observations: range(k * 500, (k + 1) * 500), feedback: [] }));
    await store.close();
    await Promise.all(writes);
    expect(readObservations(db)).toHaveLength(2_000);
    await expect(store.write({ observations: range(5_000, 5_001), feedback: [] })).rejects.toThrow('observation writer closed');
  });

  it('commits the shadowed pairs sent before close with the batches, in order, before the worker exits', async () => {
    const { db, store } = setup();
    const answer = (i: number) => ({
      shadowRequestId: `shadow-${i}`,
      liveRequestId: `req-${i}`,
      time: i,
      prompt: 'p',
      liveAnswer: 'a',
      shadowAnswer: 'b',
    });
    const sent = [0, 1, 2].flatMap((k) => [
      store.write({ observations: range(k * 100, (k + 1) * 100), feedback: [] }),
      store.writeShadowAnswer(answer(k)),
    ]);
    await store.close();
    await Promise.all(sent);
    expect(readObservations(db)).toHaveLength(300);
    const pairs = db.prepare('SELECT shadow_request_id AS id FROM shadow_answers ORDER BY seq').all() as { id: string }[];
    expect(pairs.map((p) => p.id)).toEqual(['shadow-0', 'shadow-1', 'shadow-2']);
    await expect(store.writeShadowAnswer(answer(3))).rejects.toThrow('observation writer closed');
  });

  it('rejects with the reason when its worker cannot open the file, and starts a new worker for the next request', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sink-thread-'));
    const path = join(dir, 'gateway.db');
    writeFileSync(path, 'not a database, '.repeat(64));
    const workers: Worker[] = [];
    const store = sqliteThreadRecordStore(path, { onWorker: (w) => workers.push(w) });
    opened.push(store);
    await expect(store.probe()).rejects.toThrow(`cannot open ${path}: file is not a database`);
    await expect(store.write({ observations: range(0, 1), feedback: [] })).rejects.toThrow(/file is not a database/);
    expect(workers).toHaveLength(2);
  });

  it('lets the process exit after a batch that cannot be copied into a message: the worker is no longer referenced', async () => {
    const referenced: boolean[] = [];
    const { store } = setup({
      onWorker: (w) => {
        const [ref, unref] = [w.ref.bind(w), w.unref.bind(w)];
        w.ref = () => {
          referenced.push(true);
          ref();
        };
        w.unref = () => {
          referenced.push(false);
          unref();
        };
      },
    });
    await store.probe();
    expect(referenced.at(-1)).toBe(false);
    const uncloneable = { ...observation(1), extra: () => 1 } as Observation;
    await expect(store.write({ observations: [uncloneable], feedback: [] })).rejects.toThrow(/could not be cloned/);
    expect(referenced.at(-1)).toBe(false);
  });

  it('loses nothing when its worker stops mid-run: unanswered batches spill and are replayed exactly once', async () => {
    const workers: Worker[] = [];
    const { db, store, spill } = setup({ onWorker: (w) => workers.push(w) });
    const spilled: number[] = [];
    const sink = new DurableSink(store, spill, { batchSize: 500, retryMs: 20, onSpilled: (n) => spilled.push(n) });
    const total = 20_000;
    for (const o of range(0, total)) sink.record(o);
    const flushed = sink.flush();
    const count = (): number => (db.prepare('SELECT count(*) AS n FROM observations').get() as { n: number }).n;
    const deadline = Date.now() + 10_000;
    while (count() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
    // Stopped as by a crash between two batches (exit code 1): what it had not answered goes to the spill file.
    const stopped = new Promise((r) => workers[0]!.once('exit', r));
    workers[0]!.postMessage({ id: -1, op: 'exit' });
    await stopped;
    const atKill = count();
    await flushed;
    // Killed after some batches and before the last: the batches it had not answered went to the spill file.
    expect(atKill).toBeGreaterThan(0);
    expect(atKill).toBeLessThan(total);
    expect(spill.hasRecords()).toBe(true);
    expect(sink.stats.spilled).toBeGreaterThan(0);
    expect(spilled.reduce((a, b) => a + b, 0)).toBe(sink.stats.spilled);

    // The next flush starts a new worker, replays the file, and every record is stored once.
    await sink.flush();
    expect(workers).toHaveLength(2);
    const ids = readObservations(db).map((r) => r.requestId);
    expect(ids).toHaveLength(total);
    expect(new Set(ids)).toEqual(new Set(range(0, total).map((o) => o.requestId)));
    expect(spill.hasRecords()).toBe(false);
    expect(sink.stats).toMatchObject({ stored: total, replayed: sink.stats.spilled, dropped: 0, storeHealthy: true });
    sink.close();
  });
});
