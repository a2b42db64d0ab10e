import { describe, expect, it } from 'vitest';
import { compareOpenLoop } from './open-compare.ts';
import { openCell as cell, spread } from './open-fixture.ts';

describe('open-loop comparisons', () => {
  it('subtracts direct from bare and gateway, on TTFT for streams, and checks the aim at 500 req/s', () => {
    const comparisons = compareOpenLoop([
      cell('direct', 'converse-stream', 500, spread(0.01)),
      cell('bare', 'converse-stream', 500, spread(0.012)),
      cell('gateway', 'converse-stream', 500, spread(0.013)),
      cell('direct', 'converse', 200, spread(0.01)),
      cell('gateway', 'converse', 200, spread(0.02)),
    ]);
    const stream = comparisons.find((c) => c.mode === 'converse-stream')!;
    expect(stream.metric).toBe('ttft');
    expect(stream.bareAddedMs!.p50).toBeCloseTo(1, 9);
    expect(stream.bareAddedMs!.p99).toBeCloseTo(1.98, 9);
    expect(stream.gatewayAddedMs!.p999).toBeCloseTo(2.997, 9);
    expect(stream.gatewayOverBareP99Ms).toBeCloseTo(0.99, 9);
    expect(stream.aimMet).toBe(true);
    const plain = comparisons.find((c) => c.mode === 'converse')!;
    expect(plain).toMatchObject({ metric: 'latency', ratePerSecond: 200, bareAddedMs: null, gatewayOverBareP99Ms: null, aimMet: null });
    expect(plain.gatewayAddedMs!.p99).toBeCloseTo(9.9, 9);
  });

  it('misses the aim when the gateway adds more than 1 ms of p99 over bare at 500 req/s', () => {
    const [c] = compareOpenLoop([
      cell('direct', 'converse', 500, spread(0.01)),
      cell('bare', 'converse', 500, spread(0.01)),
      cell('gateway', 'converse', 500, spread(0.0115)),
    ]);
    expect(c!.gatewayOverBareP99Ms).toBeCloseTo(1.485, 9);
    expect(c!.aimMet).toBe(false);
  });
});
