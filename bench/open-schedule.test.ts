import { describe, expect, it } from 'vitest';
import { driveSchedule, intendedStartMs, type OpenRecord, type ScheduleClock, scheduledCount, summarizeOpenLoop } from './open-schedule.ts';

/** A clock whose sleeps take `overshootMs` longer than asked (a late timer), or stall once for `stallMs`. */
function fakeClock(overshootMs = 0, stall: { atMs: number; stallMs: number } | null = null): ScheduleClock & { sleeps: number[] } {
  let now = 1_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    async sleep(ms) {
      sleeps.push(ms);
      now += Math.max(ms, 0) + overshootMs;
      if (stall && now - 1_000 >= stall.atMs) {
        now += stall.stallMs;
        stall = null;
      }
    },
  };
}

interface Start {
  index: number;
  intendedAt: number;
  lagMs: number;
}

async function drive(rate: number, count: number, clock: ScheduleClock): Promise<{ origin: number; starts: Start[] }> {
  const starts: Start[] = [];
  const origin = await driveSchedule(rate, count, clock, (index, intendedAt, lagMs) => starts.push({ index, intendedAt, lagMs }));
  return { origin, starts };
}

describe('open-loop schedule', () => {
  it('spaces requests evenly at the rate and schedules those due before the end', () => {
    expect([0, 1, 2, 500].map((i) => intendedStartMs(i, 500))).toEqual([0, 2, 4, 1000]);
    expect(intendedStartMs(1, 3)).toBeCloseTo(333.333, 3);
    expect(scheduledCount(200, 1300)).toBe(260);
    expect(scheduledCount(1000, 10_000)).toBe(10_000);
    expect(scheduledCount(3, 1000)).toBe(3);
    expect(scheduledCount(3, 1001)).toBe(4);
    expect(scheduledCount(500, 0)).toBe(0);
  });

  it('starts each request at its intended time when the timers are punctual', async () => {
    const clock = fakeClock();
    const { origin, starts } = await drive(1000, 5, clock);
    expect(origin).toBe(1_000);
    expect(starts).toEqual([0, 1, 2, 3, 4].map((i) => ({ index: i, intendedAt: 1_000 + i, lagMs: 0 })));
    expect(clock.sleeps).toEqual([1, 1, 1, 1]);
  });

  it('never skips a request when the clock falls behind: those due start at once, each with its own lag', async () => {
    const { starts } = await drive(1000, 12, fakeClock(0, { atMs: 2, stallMs: 5 }));
    expect(starts.map((s) => s.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(starts.map((s) => s.intendedAt - 1_000)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    // The stall after t=2 ms wakes the loop at 7 ms: requests 2..7 leave then, 5..0 ms late.
    expect(starts.map((s) => s.lagMs)).toEqual([0, 0, 5, 4, 3, 2, 1, 0, 0, 0, 0, 0]);
  });

  it('keeps the schedule, not the timer, as the reference when every timer fires late', async () => {
    const { starts } = await drive(500, 6, fakeClock(0.5));
    expect(starts.map((s) => s.intendedAt - 1_000)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(starts.map((s) => s.lagMs)).toEqual([0, 0.5, 0.5, 0.5, 0.5, 0.5]);
  });

  it('does not wait for answers: a start whose answer never comes delays nothing', async () => {
    const pending: Promise<never>[] = [];
    const clock = fakeClock();
    await driveSchedule(1000, 4, clock, () => {
      pending.push(new Promise<never>(() => {}));
    });
    expect(pending).toHaveLength(4);
    expect(clock.now()).toBe(1_003);
  });
});

describe('open-loop summary', () => {
  const record = (intendedAt: number, extra: Partial<OpenRecord> = {}): OpenRecord => ({
    intendedAt,
    lagMs: 0,
    queued: false,
    firstByteAt: intendedAt + 1,
    doneAt: intendedAt + 2,
    failure: null,
    ...extra,
  });

  it('keeps the requests due in the window, timed from their intended start', () => {
    const summary = summarizeOpenLoop(
      [
        record(90, { failure: 'ECONNRESET', doneAt: 91 }), // warm-up: its failure counts, it is no sample
        record(95, { doneAt: 120 }), // warm-up, answered in the window
        record(100, { firstByteAt: 101, doneAt: 103 }),
        record(110, { lagMs: 2.5, firstByteAt: 113, doneAt: 115 }), // sent late: the lag is in its latency
        record(120, { lagMs: 0.4, queued: true, firstByteAt: 0, doneAt: 130 }), // no first byte before the end
        record(130, { failure: 'http-503', doneAt: 131 }),
        record(140, { firstByteAt: 0, doneAt: 0 }), // never answered
        record(200, { doneAt: 260 }), // after the window
      ],
      100,
      200,
    );
    expect(summary).toMatchObject({
      scheduled: 5,
      latencies: [3, 5, 10],
      ttfts: [1, 3, 10],
      lateStarts: 1,
      queuedStarts: 1,
      startLags: [0, 2.5, 0.4, 0, 0],
      unfinished: 1,
      errors: { ECONNRESET: 1, 'http-503': 1 },
      completed: 5,
    });
    // Answers ending in [100, 200): those of 95, 100, 110 and 120, over 0.1 s.
    expect(summary.answeredPerSecond).toBeCloseTo(40, 9);
  });

  it('counts a lag of exactly the tolerance as on time', () => {
    const summary = summarizeOpenLoop([record(0, { lagMs: 1 }), record(1, { lagMs: 1.01 })], 0, 10);
    expect(summary.lateStarts).toBe(1);
  });
});
