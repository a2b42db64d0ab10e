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

/** An observation as the log keeps it: `seq` is its place in log order where the log has one (SQL logs), else null. */
export type LoggedObservation = Observation & { seq: number | null };

/** A feedback event as the log keeps it. */
export type LoggedFeedback = FeedbackRecord & { seq: number | null };

/** One page of a read; `next` continues it (null: nothing more now). */
export interface LogPage<T> {
  items: T[];
  next: string | null;
}

/** A read's page, or why the log could not be read (an expected failure is a value). */
export type LogRead<T> = { ok: true; page: LogPage<T> } | { ok: false; error: string };

/** Which observations a window read returns: all filters optional except the time range `[from, to)`. */
export interface LogWindow {
  /** Epoch ms, inclusive. */
  from: number;
  /** Epoch ms, exclusive. */
  to: number;
  route?: string;
  intent?: string;
  /** An experiment's id, or null for requests outside experiments; absent: any. */
  experimentId?: string | null;
  canaryId?: string;
}

/**
 * The observation log every replica appends to and the canary controller and the analysis read: a `RecordStore`
 * (append-only, idempotent per request id and feedback event id, so a replayed spill stores nothing twice) that can
 * also be read back. Reads page with an opaque cursor and report failures as values.
 */
export interface ObservationLog extends RecordStore {
  /** `sqlite`, `postgres` or `dynamodb`; for messages. */
  readonly kind: string;
  /**
   * True when `page` returns observations in commit order with increasing `seq`, so a cursor taken earlier
   * returns exactly the observations appended since (a consumer can follow the log). DynamoDB has no such order.
   */
  readonly ordered: boolean;
  /** Observations in log order after `cursor` (null: from the start), at most `limit` per page. */
  page(cursor: string | null, limit: number): Promise<LogRead<LoggedObservation>>;
  /** Feedback events in log order after `cursor`, at most `limit` per page. */
  feedbackPage(cursor: string | null, limit: number): Promise<LogRead<LoggedFeedback>>;
  /** Observations of `window`, oldest first (time, then log order), at most `limit` per page. */
  window(window: LogWindow, cursor: string | null, limit: number): Promise<LogRead<LoggedObservation>>;
  close(): Promise<void>;
}

/** Reads every page of `read` (tests, small logs); throws when a page fails. */
export async function readAll<T>(read: (cursor: string | null) => Promise<LogRead<T>>): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  do {
    const result = await read(cursor);
    if (!result.ok) throw new Error(result.error);
    out.push(...result.page.items);
    cursor = result.page.next;
  } while (cursor !== null);
  return out;
}
