import { describe, expect, it } from 'vitest';
import type { Observation } from '../../schema/observation.ts';
import { FanOutSink } from './fanout.ts';
import type { ObservationSink } from './interface.ts';
import { MemoryObservationSink } from './memory.ts';

const observation = (i: number): Observation => ({
  requestId: `req-${i}`,
  time: 1_700_000_000_000 + i,
  route: 'r',
  intent: 'faq',
  sessionId: null,
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
  outputTokens: i,
  costUsd: null,
  ttftMs: 1,
  latencyMs: 1,
  overheadMs: 0.1,
});

/** A sink whose readiness is set by the test and which counts its flushes. */
class Probe extends MemoryObservationSink {
  flushes = 0;
  isReady = true;
  override async flush(): Promise<void> {
    this.flushes += 1;
  }
  override ready(): boolean {
    return this.isReady;
  }
}

describe('FanOutSink', () => {
  it('records into the primary and every copy, flushes all of them, and is ready while the primary is', async () => {
    const primary = new Probe();
    const copy = new Probe();
    const sink: ObservationSink = new FanOutSink(primary, [copy]);
    sink.record(observation(1));
    sink.recordFeedback([
      {
        eventId: 'e1',
        receivedAt: 1,
        scope: 'request',
        key: 'req-1',
        metric: 'quality_score',
        value: 1,
        idempotencyKey: null,
        eventTime: 1,
      },
    ]);
    expect([primary.observations.length, copy.observations.length, primary.feedback.length, copy.feedback.length]).toEqual([1, 1, 1, 1]);
    await sink.flush();
    expect([primary.flushes, copy.flushes]).toEqual([1, 1]);
    copy.isReady = false;
    expect(sink.ready()).toBe(true);
    primary.isReady = false;
    copy.isReady = true;
    expect(sink.ready()).toBe(false);
  });
});
