import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FeedbackRecord } from '../../schema/feedback.ts';
import type { Observation } from '../../schema/observation.ts';
import { DurableSink } from './durable.ts';
import { readAll, type LogWindow, type ObservationLog } from './interface.ts';
import { SpillFile } from './spill.ts';

/** A fresh, empty log for one case, a second handle on the same log (another replica), and a way to take it down. */
export interface LogFixture {
  log: ObservationLog;
  /** Another handle on the same log, as a second replica opens it. */
  replica(): Promise<ObservationLog>;
  /** Makes `log` fail every call until `restore` (a real outage: connections refused, or the file locked). */
  outage(): Promise<{ restore(): Promise<void> }>;
  /** Whether reads fail during an outage too (a locked SQLite file still serves reads). */
  outageBlocksReads: boolean;
  close(): Promise<void>;
}

const T0 = 1_750_000_000_000;

/** The i-th test observation: 3 routes, 2 intents, experiments and canaries spread over the rows, several per ms. */
export function logObservation(i: number, extra: Partial<Observation> = {}): Observation {
  return {
    requestId: `req-${i}`,
    time: T0 + Math.floor(i / 3),
    route: `route-${i % 3}`,
    intent: i % 2 ? 'faq' : 'recommendation',
    sessionId: i % 5 ? `s-${i % 11}` : null,
    traffic: 'live',
    experimentId: i % 4 === 0 ? 'exp-a' : null,
    canaryId: i % 4 === 1 ? 'can-a' : null,
    arm: i % 4 === 0 ? 'control' : i % 4 === 1 ? (i % 8 === 1 ? 'canary' : 'baseline') : 'default',
    configId: 'haiku-35',
    upstreamModel: 'm',
    operation: 'converse',
    streamed: i % 3 === 0,
    status: i % 13 ? 200 : 500,
    errorCode: i % 13 ? null : 'InternalServerException',
    inputTokens: i,
    outputTokens: 2 * i,
    costUsd: i % 7 ? i / 4e4 : null,
    ttftMs: i % 6 ? 0.5 + i / 8 : null,
    latencyMs: 10 + i / 4,
    overheadMs: 0.25,
    configVersion: 3,
    expectedShare: 0.5,
    replicaId: `host-${i % 2}:1`,
    cacheReadInputTokens: i % 5,
    cacheWriteInputTokens: null,
    stopReason: i % 13 ? 'end_turn' : null,
    attempts: 1,
    servedConfigId: null,
    shadowOf: null,
    failedAttempts: null,
    ...extra,
  };
}

const feedbackEvent = (i: number): FeedbackRecord => ({
  eventId: `fb-${i}`,
  receivedAt: T0 + i,
  scope: i % 2 ? 'request' : 'session',
  key: i % 2 ? `req-${i}` : `s-${i % 11}`,
  metric: i % 2 ? 'quality_score' : 'cart_add',
  value: i % 2 ? (i % 10) / 10 : 1,
  idempotencyKey: i % 3 ? null : `idem-${i}`,
  eventTime: T0 + i,
});

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, k) => from + k);
const strip = <T extends { seq: number | null }>({ seq: _, ...rest }: T): Omit<T, 'seq'> => rest;
const byRequest = (a: { requestId: string }, b: { requestId: string }): number => (a.requestId < b.requestId ? -1 : 1);
const idsOf = (rows: { requestId: string }[]): string[] => rows.map((r) => r.requestId).sort();
const spillIn = (): SpillFile => new SpillFile(join(mkdtempSync(join(tmpdir(), 'log-spill-')), 'spill.jsonl'));
const observations = (log: ObservationLog, limit = 7) => readAll((c) => log.page(c, limit));
const windowRows = (log: ObservationLog, w: LogWindow, limit = 5) => readAll((c) => log.window(w, c, limit));

/** Flushes until the spill file is replayed (the sink waits `retryMs` after a failure before it tries again). */
async function untilReplayed(sink: DurableSink, spill: SpillFile): Promise<void> {
  for (let round = 0; round < 100; round++) {
    await sink.flush();
    if (!spill.hasRecords() && sink.stats.storeHealthy && sink.stats.queued === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`spill not replayed: ${JSON.stringify(sink.stats)}`);
}

/**
 * The behaviour every observation log adapter must have. `open` gives a fresh, empty log per case. `skip` (why
 * the adapter's service is missing) skips the suite through the runner.
 */
export function observationLogContract(name: string, open: () => Promise<LogFixture>, options: { skip?: string | null } = {}): void {
  describe.skipIf(Boolean(options.skip))(`observation log contract: ${name}`, () => {
    const run = async (fn: (f: LogFixture) => Promise<void>): Promise<void> => {
      const fixture = await open();
      try {
        await fn(fixture);
      } finally {
        await fixture.close();
      }
    };

    it('appends records and reads every one back unchanged, page by page', () =>
      run(async ({ log }) => {
        const written = range(0, 40).map((i) => logObservation(i));
        await log.write({ observations: written.slice(0, 25), feedback: range(0, 9).map(feedbackEvent) });
        await log.write({ observations: written.slice(25), feedback: range(9, 12).map(feedbackEvent) });
        const read = await observations(log);
        expect(read.map(strip).sort(byRequest)).toEqual([...written].sort(byRequest));
        const fb = await readAll((c) => log.feedbackPage(c, 5));
        expect(fb.map(strip).sort((a, b) => (a.eventId < b.eventId ? -1 : 1))).toEqual(
          range(0, 12)
            .map(feedbackEvent)
            .sort((a, b) => (a.eventId < b.eventId ? -1 : 1)),
        );
      }));

    it('stores each request id and feedback event once, however often a batch is written again', () =>
      run(async ({ log }) => {
        const batch = { observations: range(0, 30).map((i) => logObservation(i)), feedback: range(0, 6).map(feedbackEvent) };
        await log.write(batch);
        await log.write(batch);
        await log.write({ observations: [logObservation(3), logObservation(30)], feedback: [feedbackEvent(2)] });
        const read = await observations(log);
        expect(idsOf(read)).toEqual(
          range(0, 31)
            .map((i) => `req-${i}`)
            .sort(),
        );
        expect(read.find((o) => o.requestId === 'req-3')).toMatchObject(logObservation(3));
        expect(await readAll((c) => log.feedbackPage(c, 4))).toHaveLength(6);
      }));

    it('keeps a request exactly once when two replicas write it at the same time', () =>
      run(async (f) => {
        const other = await f.replica();
        try {
          const a = range(0, 60).map((i) => logObservation(i));
          const b = range(30, 90).map((i) => logObservation(i));
          await Promise.all([
            f.log.write({ observations: a.slice(0, 30), feedback: [] }),
            other.write({ observations: b.slice(30), feedback: [] }),
            f.log.write({ observations: a.slice(30), feedback: [] }),
            other.write({ observations: b.slice(0, 30), feedback: [] }),
          ]);
          const read = await observations(other, 25);
          expect(idsOf(read)).toEqual(
            range(0, 90)
              .map((i) => `req-${i}`)
              .sort(),
          );
        } finally {
          await other.close();
        }
      }));

    it('pages in log order; on an ordered log a cursor continues with exactly what was appended since', () =>
      run(async ({ log }) => {
        await log.write({ observations: range(0, 20).map((i) => logObservation(i)), feedback: [] });
        const first = await observations(log, 6);
        expect(new Set(first.map((o) => o.requestId)).size).toBe(20);
        await log.write({ observations: range(20, 33).map((i) => logObservation(i)), feedback: [] });
        if (log.ordered) {
          const seqs = first.map((o) => o.seq ?? Number.NaN);
          expect(seqs.every((s, k) => k === 0 || s > seqs[k - 1]!)).toBe(true);
          expect(first.map((o) => o.requestId)).toEqual(range(0, 20).map((i) => `req-${i}`));
          const more = await readAll((c) => log.page(c ?? String(seqs[seqs.length - 1]), 4));
          expect(more.map((o) => o.requestId)).toEqual(range(20, 33).map((i) => `req-${i}`));
        } else {
          // Without a commit order there is no seq and no following: a new read from the start sees every record once.
          expect(first.every((o) => o.seq === null)).toBe(true);
          expect(idsOf(await observations(log, 4))).toEqual(
            range(0, 33)
              .map((i) => `req-${i}`)
              .sort(),
          );
        }
      }));

    it('reads windows by canary, experiment, route, intent and time range [from, to), oldest first', () =>
      run(async ({ log }) => {
        const all = range(0, 120).map((i) => logObservation(i));
        await log.write({ observations: all.slice(60), feedback: [] });
        await log.write({ observations: all.slice(0, 60), feedback: [] });
        const from = T0 + 5;
        const to = T0 + 31;
        const inRange = all.filter((o) => o.time >= from && o.time < to);
        const check = async (w: LogWindow, keep: (o: Observation) => boolean): Promise<void> => {
          const rows = await windowRows(log, w);
          expect(idsOf(rows)).toEqual(idsOf(inRange.filter(keep)));
          expect(rows.every((r, k) => k === 0 || r.time >= rows[k - 1]!.time)).toBe(true);
        };
        await check({ from, to, canaryId: 'can-a' }, (o) => o.canaryId === 'can-a');
        await check({ from, to, canaryId: 'can-a', intent: 'faq' }, (o) => o.canaryId === 'can-a' && o.intent === 'faq');
        await check({ from, to, experimentId: 'exp-a', route: 'route-1' }, (o) => o.experimentId === 'exp-a' && o.route === 'route-1');
        await check({ from, to, experimentId: null, intent: 'faq' }, (o) => o.experimentId === null && o.intent === 'faq');
        expect(await windowRows(log, { from: T0 + 1_000, to: T0 + 2_000, canaryId: 'can-a' })).toEqual([]);
        const window = await windowRows(log, { from, to, canaryId: 'can-a' }, 1_000);
        expect(window.map(strip)).toEqual(
          expect.arrayContaining(inRange.filter((o) => o.canaryId === 'can-a').map((o) => expect.objectContaining(o))),
        );
      }));

    it('spills while the log is down without blocking record(), then replays everything exactly once', () =>
      run(async (f) => {
        await f.log.write({ observations: range(0, 10).map((i) => logObservation(i)), feedback: [] });
        const spill = spillIn();
        const sink = new DurableSink(f.log, spill, { batchSize: 16, retryMs: 50 });
        const outage = await f.outage();
        let restored = false;
        try {
          // record() returns at once: the write happens later, off the caller's path.
          for (const i of range(5, 45)) expect(sink.record(logObservation(i))).toBeUndefined();
          sink.recordFeedback([feedbackEvent(1), feedbackEvent(2)]);
          expect(sink.stats.queued).toBe(42);
          await sink.flush();
          expect(sink.stats).toMatchObject({ spilled: 42, dropped: 0, storeHealthy: false });
          expect(sink.ready()).toBe(true);
          expect(spill.read().batches.flatMap((b) => b.observations)).toHaveLength(40);
          await outage.restore();
          restored = true;
          // The spilled batch holds records the log already has (req-5..9): the replay stores them once.
          sink.record(logObservation(45));
          await untilReplayed(sink, spill);
          // req-45 is replayed too when the sink had not tried the log again yet when it arrived.
          expect(sink.stats.replayed).toBe(sink.stats.spilled);
          expect(sink.stats).toMatchObject({ dropped: 0, storeHealthy: true });
          expect(spill.hasRecords()).toBe(false);
          expect(idsOf(await observations(f.log))).toEqual(
            range(0, 46)
              .map((i) => `req-${i}`)
              .sort(),
          );
          expect(await readAll((c) => f.log.feedbackPage(c, 10))).toHaveLength(2);
        } finally {
          sink.close();
          if (!restored) await outage.restore();
        }
      }));

    it('replays a spill file left by a stopped replica into the log, once, on the next start', () =>
      run(async (f) => {
        const spill = spillIn();
        spill.append({ observations: range(0, 8).map((i) => logObservation(i)), feedback: [feedbackEvent(1)] });
        spill.append({ observations: range(4, 12).map((i) => logObservation(i)), feedback: [feedbackEvent(1)] });
        const sink = new DurableSink(f.log, spill, { retryMs: 50 });
        await sink.flush();
        sink.close();
        expect(spill.hasRecords()).toBe(false);
        expect(idsOf(await observations(f.log))).toEqual(
          range(0, 12)
            .map((i) => `req-${i}`)
            .sort(),
        );
        expect(await readAll((c) => f.log.feedbackPage(c, 10))).toHaveLength(1);
      }));

    it('reports reads of a log that is down as values', () =>
      run(async (f) => {
        const outage = await f.outage();
        try {
          const read = await f.log.page(null, 10);
          expect(read.ok).toBe(!f.outageBlocksReads);
          if (!read.ok) expect(read.error.length).toBeGreaterThan(0);
          await expect(Promise.resolve().then(() => f.log.write({ observations: [logObservation(1)], feedback: [] }))).rejects.toThrow();
        } finally {
          await outage.restore();
        }
        await f.log.write({ observations: [logObservation(1)], feedback: [] });
        expect(idsOf(await observations(f.log))).toEqual(['req-1']);
      }));
  });
}
