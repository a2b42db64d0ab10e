import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../sqlite/database.ts';
import type { ShadowAnswer, ShadowAnswerSink, ShadowAnswerSource } from './interface.ts';
import { MemoryShadowAnswers } from './memory.ts';
import { sqliteShadowAnswers } from './sqlite.ts';

const pair = (i: number, over: Partial<ShadowAnswer> = {}): ShadowAnswer => ({
  shadowRequestId: `shadow-${i}`,
  liveRequestId: `live-${i}`,
  time: 1_000 + i,
  prompt: `question ${i}`,
  liveAnswer: `live answer ${i}`,
  shadowAnswer: `shadow answer ${i}`,
  ...over,
});

const adapters: [string, () => ShadowAnswerSink & ShadowAnswerSource][] = [
  ['memory', () => new MemoryShadowAnswers()],
  ['sqlite', () => sqliteShadowAnswers(openDatabase(join(mkdtempSync(join(tmpdir(), 'shadow-answers-')), 'gateway.db')))],
];

describe.each(adapters)('shadow answers (%s)', (_name, open) => {
  it('keeps pairs in arrival order, nulls included, and reads them back from a time on', () => {
    const store = open();
    store.record(pair(1));
    store.record(pair(2, { prompt: null, liveAnswer: null }));
    store.record(pair(3, { shadowAnswer: null }));
    expect(store.list()).toEqual([pair(1), pair(2, { prompt: null, liveAnswer: null }), pair(3, { shadowAnswer: null })]);
    expect(store.list(1_002).map((a) => a.shadowRequestId)).toEqual(['shadow-2', 'shadow-3']);
  });

  it('keeps one pair per shadow request: a second record of the same id is ignored', () => {
    const store = open();
    store.record(pair(1));
    store.record(pair(1, { shadowAnswer: 'changed' }));
    expect(store.list()).toEqual([pair(1)]);
  });
});

describe('sqlite shadow answers', () => {
  it('drops and reports a pair it cannot write (database closed) instead of throwing', () => {
    const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'shadow-answers-')), 'gateway.db'));
    const errors: string[] = [];
    const store = sqliteShadowAnswers(db, (err) => errors.push(err.message));
    db.close();
    expect(() => store.record(pair(1))).not.toThrow();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/database connection is not open/);
  });
});
