import { describe, expect, it } from 'vitest';
import { logObservation } from './log-contract.ts';
import { MemoryObservationSink } from './memory.ts';
import { ReplicaSink } from './replica.ts';

describe('ReplicaSink', () => {
  it("stamps this replica's id on observations that have none and passes everything on", async () => {
    const inner = new MemoryObservationSink();
    const sink = new ReplicaSink(inner, 'gw-7');
    sink.record(logObservation(1, { replicaId: null }));
    sink.record(logObservation(2, { replicaId: undefined }));
    sink.record(logObservation(3, { replicaId: 'edge-1' }));
    sink.recordFeedback([
      {
        eventId: 'e',
        receivedAt: 1,
        scope: 'request',
        key: 'req-1',
        metric: 'quality_score',
        value: 1,
        idempotencyKey: null,
        eventTime: 1,
      },
    ]);
    await sink.flush();
    expect(inner.observations.map((o) => o.replicaId)).toEqual(['gw-7', 'gw-7', 'edge-1']);
    expect(inner.feedback).toHaveLength(1);
    expect(sink.ready()).toBe(true);
  });
});
