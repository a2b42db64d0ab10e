import { describe, expect, it } from 'vitest';
import { compareOpenLoop } from './open-compare.ts';
import { openCell, spread } from './open-fixture.ts';
import { openLoopSection } from './report-open.ts';

const SETTINGS = { warmupSeconds: 2, openSeconds: 10, openConnections: 256 };

function section(cells: Parameters<typeof compareOpenLoop>[0]): string {
  return openLoopSection(cells, compareOpenLoop(cells), SETTINGS).join('\n');
}

describe('open-loop Markdown', () => {
  it('lists each cell with its loop delays, the added latencies and the aim', () => {
    const text = section([
      openCell('direct', 'converse', 500, spread(0.01)),
      openCell('bare', 'converse', 500, spread(0.011)),
      openCell('gateway', 'converse', 500, spread(0.0115)),
    ]);
    expect(text).toContain('### Open loop');
    expect(text).toContain(
      '| direct | converse | 500 | 500 | 1000 | 5.00 | 9.90 | 9.99 | - | - | - | 0 | 0.20 | 0 | 0 | 0 | - | - | - | 1.50 | 3.00 |',
    );
    expect(text).toContain(
      '| gateway | converse | 500 | 500 | 1000 | 5.75 | 11.38 | 11.49 | - | - | - | 0 | 0.20 | 0 | 0 | 0 | 300 | 2.50 | 7.25 | 1.50 | 3.00 |',
    );
    expect(text).toContain('| converse | latency | 500 | +0.50 ms | +0.99 ms | +1.00 ms | +0.75 ms | +1.48 ms | +1.50 ms | +0.50 ms |');
    expect(text).toContain('converse: met (+0.50 ms).');
    expect(text).not.toContain('WARNING');
  });

  it('says when the aim was missed, and when a reading is not conclusive', () => {
    const missed = section([
      openCell('direct', 'converse-stream', 500, spread(0.01)),
      openCell('bare', 'converse-stream', 500, spread(0.01)),
      openCell('gateway', 'converse-stream', 500, spread(0.012)),
    ]);
    expect(missed).toContain('| converse-stream | TTFT | 500 |');
    expect(missed).toContain('converse-stream: MISSED (+1.98 ms).');

    const doubtful = section([
      openCell('direct', 'converse', 500, spread(0.01)),
      openCell('bare', 'converse', 500, spread(0.01), { lateStarts: 20, otherCpuCores: 0.5 }),
      openCell('gateway', 'converse', 500, spread(0.01), { unfinished: 3 }),
    ]);
    expect(doubtful).toContain('converse: met (+0.00 ms), not conclusive: late starts, unfinished requests, machine busy.');
    expect(doubtful).toContain('WARNING: the load generator sent over 1% of the requests late in bare converse rate=500 (20,');
    expect(doubtful).toContain('left out of the percentiles: gateway converse rate=500: 3.');
  });

  it('marks the aim not conclusive when a cell behind it had failed requests (left out of the percentiles)', () => {
    const text = section([
      openCell('direct', 'converse', 500, spread(0.01)),
      openCell('bare', 'converse', 500, spread(0.01)),
      openCell('gateway', 'converse', 500, spread(0.01), { errors: 40, errorKinds: { 'http-503': 40 } }),
    ]);
    expect(text).toContain('converse: met (+0.00 ms), not conclusive: failed requests.');
  });

  it('has no aim line without the bare proxy or the gateway at its rate, and no section without cells', () => {
    expect(section([openCell('direct', 'converse', 200, spread(0.01)), openCell('gateway', 'converse', 200, spread(0.01))])).toContain(
      'Not measured in this run',
    );
    expect(openLoopSection([], [], SETTINGS)).toEqual([]);
  });
});
