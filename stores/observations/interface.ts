import type { FeedbackRecord } from '../../schema/feedback.ts';
import type { Observation } from '../../schema/observation.ts';

/**
 * Where finished requests and accepted feedback go. The record methods must not throw or block the
 * request path: an adapter that cannot keep a record counts it as dropped.
 */
export interface ObservationSink {
  record(observation: Observation): void;
  recordFeedback(events: FeedbackRecord[]): void;
  /** Writes out whatever is buffered; resolves when it is stored (or spilled, or counted as dropped). */
  flush(): Promise<void>;
  /** True while records can be kept (in the store or in the spill file). */
  ready(): boolean;
}

/** A batch of records written to a store in one transaction. */
export interface RecordBatch {
  observations: Observation[];
  feedback: FeedbackRecord[];
}

/**
 * The durable destination of records. `write` throws (or rejects, for a remote store such as DynamoDB) when the
 * store cannot take the batch.
 */
export interface RecordStore {
  write(batch: RecordBatch): void | Promise<void>;
  /** Throws (or rejects) unless the store would take a write now; lets a sink test the store before replaying a spill. */
  probe(): void | Promise<void>;
}
