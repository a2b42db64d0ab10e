import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createProgress, lineProgress } from './progress.ts';

/** A stream that records what is written, as a terminal or not. */
function stream(isTTY: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  const s = new PassThrough() as unknown as NodeJS.WriteStream & PassThrough;
  s.isTTY = isTTY;
  const chunks: string[] = [];
  s.on('data', (c: Buffer) => chunks.push(c.toString()));
  return { stream: s, text: () => chunks.join('') };
}

describe('line progress (not a terminal)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('writes one line at every 10% of the pairs, with counts, errors, elapsed time and rate', () => {
    let t = 0;
    const lines: string[] = [];
    const p = lineProgress((l) => lines.push(l), { now: () => t });
    p.start!(0, 40);
    for (let done = 1; done <= 40; done++) {
      t += 100;
      p.update(done, 40, done >= 30 ? 1 : 0);
    }
    p.finish();
    expect(lines).toHaveLength(10);
    expect(lines[0]).toBe('eval: progress 4/40 pairs (10.0%), 0 errors, 0.4 s elapsed, 10.0 pairs/s');
    expect(lines[2]).toMatch(/^eval: progress 12\/40 pairs \(30\.0%\)/);
    expect(lines[9]).toBe('eval: progress 40/40 pairs (100.0%), 1 error, 4.0 s elapsed, 10.0 pairs/s');
  });

  it('writes a line after 10 s without one, counts the rate on pairs called now, and ends on the last state', () => {
    let t = 0;
    const lines: string[] = [];
    const p = lineProgress((l) => lines.push(l), { now: () => t });
    p.start!(500, 1000);
    t = 5_000;
    p.update(501, 1000, 0);
    expect(lines).toEqual([]);
    t = 10_000;
    p.update(502, 1000, 0);
    expect(lines).toEqual(['eval: progress 502/1000 pairs (50.2%), 0 errors, 10.0 s elapsed, 0.2 pairs/s']);
    t = 12_000;
    p.update(503, 1000, 0);
    p.finish();
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^eval: progress 503\/1000 pairs/);
  });

  it('writes a line every 10 s while no result arrives', () => {
    vi.useFakeTimers();
    const lines: string[] = [];
    const p = lineProgress((l) => lines.push(l));
    p.start!(0, 10);
    vi.advanceTimersByTime(10_000);
    expect(lines).toEqual(['eval: progress 0/10 pairs (0.0%), 0 errors, 10.0 s elapsed, 0.0 pairs/s']);
    vi.advanceTimersByTime(10_000);
    expect(lines).toHaveLength(2);
    p.finish();
    vi.advanceTimersByTime(30_000);
    expect(lines).toHaveLength(2);
  });

  it('is what createProgress gives on a stream that is not a terminal', () => {
    const out = stream(false);
    const p = createProgress(out.stream);
    p.start!(0, 2);
    p.update(1, 2, 0);
    p.update(2, 2, 1);
    p.finish();
    expect(out.text()).toMatch(
      /^eval: progress 1\/2 pairs \(50\.0%\), 0 errors, .*\neval: progress 2\/2 pairs \(100\.0%\), 1 error, .*\n$/,
    );
  });

  it('keeps the redrawn bar on a terminal', () => {
    const out = stream(true);
    const p = createProgress(out.stream, 10);
    p.start?.(0, 2);
    p.update(2, 2, 1);
    p.finish();
    expect(out.text()).toBe('\r[##########] 2/2 100.0% errors 1\n');
  });
});
