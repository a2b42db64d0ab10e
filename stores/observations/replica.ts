import type { FeedbackRecord } from '../../schema/feedback.ts';
import type { Observation } from '../../schema/observation.ts';
import type { ObservationSink } from './interface.ts';

/** Stamps this replica's id on every observation that has none, then passes it on. */
export class ReplicaSink implements ObservationSink {
  constructor(
    private readonly inner: ObservationSink,
    readonly replicaId: string,
  ) {}

  record(observation: Observation): void {
    this.inner.record(observation.replicaId ? observation : { ...observation, replicaId: this.replicaId });
  }

  recordFeedback(events: FeedbackRecord[]): void {
    this.inner.recordFeedback(events);
  }

  flush(): Promise<void> {
    return this.inner.flush();
  }

  ready(): boolean {
    return this.inner.ready();
  }
}
