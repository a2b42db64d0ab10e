import type { FeedbackRecord } from '../../schema/feedback.ts';
import type { Observation } from '../../schema/observation.ts';
import type { ObservationSink } from './interface.ts';

/**
 * Records every observation and feedback event into a primary sink and into copies (e.g. the embedded SQLite
 * store and the DynamoDB log), each with its own queue, spill file and health, so a failing copy never holds
 * back the primary. `ready` reflects the primary alone; `flush` flushes all of them.
 */
export class FanOutSink implements ObservationSink {
  constructor(
    private readonly primary: ObservationSink,
    private readonly copies: readonly ObservationSink[],
  ) {}

  record(observation: Observation): void {
    this.primary.record(observation);
    for (const copy of this.copies) copy.record(observation);
  }

  recordFeedback(events: FeedbackRecord[]): void {
    this.primary.recordFeedback(events);
    for (const copy of this.copies) copy.recordFeedback(events);
  }

  async flush(): Promise<void> {
    await Promise.all([this.primary.flush(), ...this.copies.map((copy) => copy.flush())]);
  }

  ready(): boolean {
    return this.primary.ready();
  }
}
