import { describe, expect, it, vi } from 'vitest';
import type { Observation } from '../../schema/observation.ts';
import type { RecordBatch, RecordStore } from '../../stores/observations/interface.ts';
import { EdgeSink } from './sink.ts';

const observation = (i: number) => ({ requestId: `r-${i}` }) as Observation;

/** A store that fails its first `failures` writes, then keeps what it is given. */
function flakyStore(failures: number): RecordStore & { batches: RecordBatch[] } {
  const batches: RecordBatch[] = [];
  let left = failures;
  return {
    batches,
    write(batch) {
      if (left-- > 0) throw new Error('store down');
      batches.push(batch);
    },
    probe() {},
  };
}

describe('EdgeSink', () => {
  it('writes what is buffered in batches of batchSize when flushed', async () => {
    const store = flakyStore(0);
    const sink = new EdgeSink(store, { batchSize: 2 });
    for (let i = 0; i < 5; i++) sink.record(observation(i));
    expect(store.batches).toHaveLength(0);
    await sink.flush();
    expect(store.batches.map((b) => b.observations.length)).toEqual([2, 2, 1]);
    expect(sink.stats()).toMatchObject({ written: 5, dropped: 0, buffered: 0 });
  });

  it('retries a failed batch and counts the retry', async () => {
    const store = flakyStore(1);
    const sink = new EdgeSink(store, { backoffMs: 1 });
    sink.record(observation(1));
    await sink.flush();
    expect(store.batches).toHaveLength(1);
    expect(sink.stats()).toMatchObject({ written: 1, retried: 1, dropped: 0 });
  });

  it('counts and reports what cannot be written after every attempt', async () => {
    const dropped: number[] = [];
    const sink = new EdgeSink(flakyStore(10), { attempts: 2, backoffMs: 1, onDropped: (n) => dropped.push(n) });
    sink.record(observation(1));
    sink.recordFeedback([{ eventId: 'e' } as never]);
    await sink.flush();
    expect(dropped).toEqual([2]);
    expect(sink.stats()).toMatchObject({ written: 0, dropped: 2, lastError: 'store down' });
  });

  it('drops and counts what arrives beyond maxBuffered', () => {
    const sink = new EdgeSink(flakyStore(0), { maxBuffered: 2 });
    for (let i = 0; i < 3; i++) sink.record(observation(i));
    expect(sink.stats()).toMatchObject({ buffered: 2, dropped: 1 });
  });

  it('writes in one flush only what was buffered when it began, so a flush under steady traffic ends', async () => {
    const batches: RecordBatch[] = [];
    let release!: () => void;
    const store: RecordStore = {
      async write(batch) {
        batches.push(batch);
        if (batches.length === 1) await new Promise<void>((r) => (release = r));
      },
      probe() {},
    };
    const sink = new EdgeSink(store, { batchSize: 1 });
    sink.record(observation(1));
    const first = sink.flush();
    await Promise.resolve();
    // Requests finishing while the first write is under way: theirs are the next flush's records.
    sink.record(observation(2));
    release();
    await first;
    expect(batches.map((b) => b.observations.map((o) => o.requestId))).toEqual([['r-1']]);
    expect(sink.stats()).toMatchObject({ written: 1, buffered: 1 });
    await sink.flush();
    expect(batches.map((b) => b.observations.map((o) => o.requestId))).toEqual([['r-1'], ['r-2']]);
  });

  it('stops a flush that ran past its time budget and keeps the rest for the next flush, so a slow store never holds a waitUntil until the runtime cuts it', async () => {
    const batches: RecordBatch[] = [];
    const store: RecordStore = {
      async write(batch) {
        await new Promise((r) => setTimeout(r, 20));
        batches.push(batch);
      },
      probe() {},
    };
    const sink = new EdgeSink(store, { batchSize: 1, drainBudgetMs: 5 });
    for (let i = 1; i <= 3; i++) sink.record(observation(i));
    await sink.flush();
    expect(sink.stats()).toMatchObject({ written: 1, buffered: 2, dropped: 0 });
    sink.record(observation(4));
    await sink.flush();
    await sink.flush();
    await sink.flush();
    expect(batches.map((b) => b.observations[0]!.requestId)).toEqual(['r-1', 'r-2', 'r-3', 'r-4']);
  });

  it('stops waiting for a flush cut with its request, counting its records as dropped, and writes on', async () => {
    const batches: RecordBatch[] = [];
    const store: RecordStore = {
      write(batch) {
        // The first write never settles, as when the runtime ends the request whose waitUntil held the flush.
        if (!batches.length) return new Promise(() => batches.push(batch));
        batches.push(batch);
      },
      probe() {},
    };
    const sink = new EdgeSink(store);
    sink.record(observation(1));
    void sink.flush();
    sink.record(observation(2));
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 60_000);
      await sink.flush();
    } finally {
      vi.useRealTimers();
    }
    expect(batches.map((b) => b.observations[0]!.requestId)).toEqual(['r-1', 'r-2']);
    expect(sink.stats()).toMatchObject({ written: 1, dropped: 1, buffered: 0 });
  });
});
