import type { FeedbackRecord } from '../../schema/feedback.ts';
import type { Observation } from '../../schema/observation.ts';
import type { ObservationSink, RecordBatch, RecordStore } from './interface.ts';
import type { SpillFile } from './spill.ts';

export interface DurableSinkOptions {
  /** Records per store transaction. */
  batchSize?: number;
  /** Longest a record waits in memory before a write. */
  flushIntervalMs?: number;
  /** Records held in memory at most; beyond that they go straight to the spill file. */
  maxQueue?: number;
  /** Pause before the store is tried again after a failure. */
  retryMs?: number;
  /** Told how many records went to the spill file, were replayed from it, or were lost. */
  onSpilled?: (count: number) => void;
  onReplayed?: (count: number) => void;
  onDropped?: (count: number) => void;
  onStoreError?: (error: unknown) => void;
}

/** Counts of what happened to records, for metrics and tests. */
export interface SinkStats {
  stored: number;
  spilled: number;
  replayed: number;
  dropped: number;
  queued: number;
  storeHealthy: boolean;
}

const size = (b: RecordBatch): number => b.observations.length + b.feedback.length;

/** A value now (synchronous store) or later (asynchronous store). */
type Maybe<T> = T | Promise<T>;
const then = <T, R>(value: Maybe<T>, next: (v: T) => Maybe<R>): Maybe<R> => (value instanceof Promise ? value.then(next) : next(value));

/**
 * Queues records in memory and writes them to a store in batches, off the request path. When the store
 * fails, batches go to a spill file, replayed once the store takes writes again; a record is lost only
 * when both fail, and then it is counted.
 */
export class DurableSink implements ObservationSink {
  private queue: RecordBatch = { observations: [], feedback: [] };
  private timer: NodeJS.Timeout | undefined;
  private retryAt = 0;
  private spillWritable = true;
  private closed = false;
  /** The drain under way on an asynchronous store; later drains wait for it. Synchronous stores never set it. */
  private draining: Promise<void> | undefined;
  private readonly o: Required<Omit<DurableSinkOptions, 'onSpilled' | 'onReplayed' | 'onDropped' | 'onStoreError'>>;
  readonly stats: SinkStats = { stored: 0, spilled: 0, replayed: 0, dropped: 0, queued: 0, storeHealthy: true };

  constructor(
    private readonly store: RecordStore,
    private readonly spill: SpillFile,
    private readonly options: DurableSinkOptions = {},
  ) {
    this.o = {
      batchSize: options.batchSize ?? 500,
      flushIntervalMs: options.flushIntervalMs ?? 50,
      maxQueue: options.maxQueue ?? 50_000,
      retryMs: options.retryMs ?? 1_000,
    };
    if (spill.hasRecords()) this.schedule(0);
  }

  record(observation: Observation): void {
    this.enqueue({ observations: [observation], feedback: [] });
  }

  recordFeedback(events: FeedbackRecord[]): void {
    if (events.length) this.enqueue({ observations: [], feedback: events });
  }

  async flush(): Promise<void> {
    let pending = this.drain(true);
    // With an asynchronous store, records that arrive while a write is under way are written by the next round.
    while (pending) {
      await pending;
      pending = this.stats.queued > 0 ? this.drain(true) : undefined;
    }
  }

  ready(): boolean {
    return this.stats.storeHealthy || this.spillWritable;
  }

  /**
   * Stops the timer; call `flush` first to write what is queued. A record that still arrives afterwards (a
   * request cut at shutdown that finishes late) goes straight to the spill file, replayed at the next start.
   */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private enqueue(batch: RecordBatch): void {
    if (this.closed || this.stats.queued >= this.o.maxQueue) {
      this.toSpill(batch);
      return;
    }
    this.queue.observations.push(...batch.observations);
    this.queue.feedback.push(...batch.feedback);
    this.stats.queued += size(batch);
    this.schedule(this.stats.queued >= this.o.batchSize ? 0 : this.o.flushIntervalMs);
  }

  private schedule(delayMs: number): void {
    if (this.timer && delayMs > 0) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.drain(false);
    }, delayMs);
    this.timer.unref();
  }

  /**
   * Writes the queue (and, when the store is back, the spill file). `force` tries the store even while backing off.
   * Returns a promise only while an asynchronous store is being written.
   */
  private drain(force: boolean): Promise<void> | undefined {
    const run = (): Maybe<void> => {
      try {
        const done = this.drainOnce(force);
        return done instanceof Promise ? done.catch(this.report) : done;
      } catch (err) {
        this.report(err);
      }
    };
    const result = this.draining ? this.draining.then(run) : run();
    if (!(result instanceof Promise)) return undefined;
    const tracked: Promise<void> = result.finally(() => {
      if (this.draining === tracked) this.draining = undefined;
    });
    this.draining = tracked;
    return tracked;
  }

  // Never let a timer throw: anything unexpected is reported; records taken off the queue were spilled or counted.
  private readonly report = (err: unknown): void => this.options.onStoreError?.(err);

  private drainOnce(force: boolean): Maybe<void> {
    const batch = this.queue;
    this.queue = { observations: [], feedback: [] };
    this.stats.queued = 0;
    const canTry = force || this.stats.storeHealthy || Date.now() >= this.retryAt;
    const replayed =
      canTry && this.spill.hasRecords() ? then(this.storeTakesWrites(), (ok) => (ok ? this.replay() : undefined)) : undefined;
    return then(replayed, () => this.storeBatch(batch, canTry));
  }

  private storeBatch(batch: RecordBatch, canTry: boolean): Maybe<void> {
    if (size(batch) === 0) {
      if (!this.stats.storeHealthy && this.spill.hasRecords()) this.schedule(this.o.retryMs);
      return;
    }
    if (!canTry || !this.stats.storeHealthy) {
      this.toSpill(batch);
      this.schedule(this.o.retryMs);
      return;
    }
    const parts: RecordBatch[] = [];
    for (let i = 0; i < batch.observations.length || i < batch.feedback.length; i += this.o.batchSize) {
      parts.push({
        observations: batch.observations.slice(i, i + this.o.batchSize),
        feedback: batch.feedback.slice(i, i + this.o.batchSize),
      });
    }
    const step = (i: number): Maybe<void> => {
      for (; i < parts.length; i++) {
        const part = parts[i]!;
        const stored = this.tryStore(part);
        const settle = (ok: boolean): void => {
          if (ok) this.stats.stored += size(part);
          else this.toSpill(part);
        };
        if (stored instanceof Promise) {
          return stored.then((ok) => {
            settle(ok);
            return step(i + 1);
          });
        }
        settle(stored);
      }
    };
    return step(0);
  }

  private tryStore(batch: RecordBatch): Maybe<boolean> {
    if (!this.stats.storeHealthy && Date.now() < this.retryAt) return false;
    const failed = (err: unknown): boolean => {
      if (this.stats.storeHealthy) this.options.onStoreError?.(err);
      this.stats.storeHealthy = false;
      this.retryAt = Date.now() + this.o.retryMs;
      this.schedule(this.o.retryMs);
      return false;
    };
    const stored = (): boolean => {
      this.stats.storeHealthy = true;
      return true;
    };
    try {
      const written = this.store.write(batch);
      return written instanceof Promise ? written.then(stored, failed) : stored();
    } catch (err) {
      return failed(err);
    }
  }

  /** A cheap check before reading a possibly large spill file. */
  private storeTakesWrites(): Maybe<boolean> {
    const failed = (): boolean => {
      this.stats.storeHealthy = false;
      this.retryAt = Date.now() + this.o.retryMs;
      this.schedule(this.o.retryMs);
      return false;
    };
    try {
      const probed = this.store.probe();
      return probed instanceof Promise ? probed.then(() => true, failed) : true;
    } catch {
      return failed();
    }
  }

  private replay(): Maybe<void> {
    const batches = this.spill.batches();
    let replayed = 0;
    const finish = (): void => {
      this.spill.clear();
      this.stats.replayed += replayed;
      this.stats.stored += replayed;
      this.options.onReplayed?.(replayed);
    };
    const step = (): Maybe<void> => {
      for (let next = batches.next(); !next.done; next = batches.next()) {
        const batch = next.value;
        const stored = this.tryStore(batch);
        if (stored instanceof Promise) {
          return stored.then((ok) => {
            if (!ok) return void batches.return(undefined);
            replayed += size(batch);
            return step();
          });
        }
        if (!stored) return void batches.return(undefined);
        replayed += size(batch);
      }
      finish();
    };
    return step();
  }

  private toSpill(batch: RecordBatch): void {
    const n = size(batch);
    try {
      this.spill.append(batch);
      this.spillWritable = true;
      this.stats.spilled += n;
      this.options.onSpilled?.(n);
    } catch {
      this.spillWritable = false;
      this.stats.dropped += n;
      this.options.onDropped?.(n);
    }
  }
}
