import type { FeedbackRecord } from '../../schema/feedback.ts';
import type { Observation } from '../../schema/observation.ts';
import type { ObservationSink } from './interface.ts';

/**
 * Keeps observations in an array; for tests and for runs that need no durability. With a capacity,
 * the oldest are let go once it is reached, and counted in `evicted`.
 */
export class MemoryObservationSink implements ObservationSink {
  readonly observations: Observation[] = [];
  readonly feedback: FeedbackRecord[] = [];
  evicted = 0;
  private waiters: { count: number; resolve: () => void }[] = [];

  constructor(private readonly capacity = Number.POSITIVE_INFINITY) {}

  record(observation: Observation): void {
    this.observations.push(observation);
    if (this.observations.length > this.capacity) {
      this.observations.shift();
      this.evicted += 1;
    }
    this.waiters = this.waiters.filter((w) => {
      if (this.observations.length < w.count) return true;
      w.resolve();
      return false;
    });
  }

  recordFeedback(events: FeedbackRecord[]): void {
    this.feedback.push(...events);
  }

  async flush(): Promise<void> {}

  ready(): boolean {
    return true;
  }

  /** Resolves once at least `count` observations exist (observations are recorded after the response ends). */
  waitFor(count: number, timeoutMs = 5_000): Promise<Observation[]> {
    if (this.observations.length >= count) return Promise.resolve(this.observations);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`only ${this.observations.length} of ${count} observations after ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiters.push({
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve(this.observations);
        },
      });
    });
  }
}
