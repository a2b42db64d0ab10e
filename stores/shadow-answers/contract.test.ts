import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sqliteThreadRecordStore, type SqliteThreadRecordStore } from '../observations/sqlite-thread.ts';
import { openDatabase } from '../sqlite/database.ts';
import type { ShadowAnswer, ShadowAnswerSink, ShadowAnswerSource } from './interface.ts';
import { MemoryShadowAnswers } from './memory.ts';
import { sqliteShadowAnswers } from './sqlite.ts';
import { sqliteThreadShadowAnswers } from './sqlite-thread.ts';

const pair = (i: number, over: Partial<ShadowAnswer> = {}): ShadowAnswer => ({
  shadowRequestId: `shadow-${i}`,
  liveRequestId: `live-${i}`,
  time: 1_000 + i,
  prompt: `question ${i}`,
  liveAnswer: `live answer ${i}`,
  shadowAnswer: `shadow answer ${i}`,
  ...over,
});

/** An adapter under test; `settled` resolves once every pair recorded before the call is readable. */
interface Opened {
  store: ShadowAnswerSink & ShadowAnswerSource;
  settled(): Promise<void>;
}

const tempDb = (): string => join(mkdtempSync(join(tmpdir(), 'shadow-answers-')), 'gateway.db');
const writers: SqliteThreadRecordStore[] = [];
afterEach(async () => {
  for (const writer of writers.splice(0)) await writer.close();
});

/** As the Node gateway writes them: inserts through the writer thread, reads on the process's connection. */
function openThread(onDrop?: (error: Error) => void): Opened & { writer: SqliteThreadRecordStore; path: string } {
  const path = tempDb();
  const db = openDatabase(path);
  const writer = sqliteThreadRecordStore(path);
  writers.push(writer);
  // Requests are answered in order: once a probe is, the inserts sent before it are committed.
  return { store: sqliteThreadShadowAnswers(writer, db, onDrop), settled: () => writer.probe(), writer, path };
}

const adapters: [string, () => Opened][] = [
  ['memory', () => ({ store: new MemoryShadowAnswers(), settled: async () => {} })],
  ['sqlite', () => ({ store: sqliteShadowAnswers(openDatabase(tempDb())), settled: async () => {} })],
  ['sqlite writer thread', () => openThread()],
];

describe.each(adapters)('shadow answers (%s)', (_name, open) => {
  it('keeps pairs in arrival order, nulls included, and reads them back from a time on', async () => {
    const { store, settled } = open();
    store.record(pair(1));
    store.record(pair(2, { prompt: null, liveAnswer: null }));
    store.record(pair(3, { shadowAnswer: null }));
    await settled();
    expect(store.list()).toEqual([pair(1), pair(2, { prompt: null, liveAnswer: null }), pair(3, { shadowAnswer: null })]);
    expect(store.list(1_002).map((a) => a.shadowRequestId)).toEqual(['shadow-2', 'shadow-3']);
  });

  it('keeps one pair per shadow request: a second record of the same id is ignored', async () => {
    const { store, settled } = open();
    store.record(pair(1));
    store.record(pair(1, { shadowAnswer: 'changed' }));
    await settled();
    expect(store.list()).toEqual([pair(1)]);
  });
});

describe('sqlite shadow answers', () => {
  it('drops and reports a pair it cannot write (database closed) instead of throwing', () => {
    const db = openDatabase(tempDb());
    const errors: string[] = [];
    const store = sqliteShadowAnswers(db, (err) => errors.push(err.message));
    db.close();
    expect(() => store.record(pair(1))).not.toThrow();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/database connection is not open/);
  });
});

describe('sqlite shadow answers through the writer thread', () => {
  it('drops and reports a pair the worker could not insert; the next one is kept', async () => {
    const errors: string[] = [];
    const { store, settled, path } = openThread((err) => errors.push(err.message));
    await settled();
    const other = openDatabase(path);
    other.exec('BEGIN EXCLUSIVE');
    expect(() => store.record(pair(1))).not.toThrow();
    await vi.waitFor(() => expect(errors).toHaveLength(1), { timeout: 5_000 });
    expect(errors[0]).toMatch(/locked/);
    other.exec('ROLLBACK');
    store.record(pair(2));
    await settled();
    expect(store.list().map((a) => a.shadowRequestId)).toEqual(['shadow-2']);
    expect(errors).toHaveLength(1);
  });

  it('drops and reports the pairs a stopped worker never answered, and every pair recorded after close', async () => {
    const workers: Worker[] = [];
    const path = tempDb();
    const writer = sqliteThreadRecordStore(path, { busyTimeoutMs: 300, onWorker: (w) => workers.push(w) });
    writers.push(writer);
    const errors: string[] = [];
    const store = sqliteThreadShadowAnswers(writer, openDatabase(path), (err) => errors.push(err.message));
    await writer.probe();
    // The worker stops (exit code 1) before it reaches any of the 50 pairs sent after the stop.
    const stopped = new Promise((r) => workers[0]!.once('exit', r));
    workers[0]!.postMessage({ id: -1, op: 'exit' });
    for (let i = 0; i < 50; i++) store.record(pair(i));
    await stopped;
    await vi.waitFor(() => expect(errors).toHaveLength(50), { timeout: 5_000 });
    expect(errors.filter((e) => e === 'observation writer stopped (exit code 1)')).toHaveLength(50);
    expect(store.list()).toEqual([]);

    // The next pair starts a new worker; close commits it before the worker exits.
    store.record(pair(100));
    await writer.close();
    expect(store.list().map((a) => a.shadowRequestId)).toContain('shadow-100');
    const before = errors.length;
    store.record(pair(101));
    await vi.waitFor(() => expect(errors).toHaveLength(before + 1));
    expect(errors.at(-1)).toBe('observation writer closed');
  });
});
