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
  private readonly o: Required<Omit<DurableSinkOptions, 'onSpilled' | 'onReplayed' | 'onDropped' | 'onStoreError'>>;
  readonly stats: SinkStats = { stored: 0, spilled: 0, replayed: 0, dropped: 0, queued: 0, storeHealthy: true };

  constructor(private readonly store: RecordStore, private readonly spill: SpillFile, private readonly options: DurableSinkOptions = {}) {
    this.o = { batchSize: options.batchSize ?? 500, flushIntervalMs: options.flushIntervalMs ?? 50, maxQueue: options.maxQueue ?? 50_000, retryMs: options.retryMs ?? 1_000 };
    if (spill.hasRecords()) this.schedule(0);
  }

  record(observation: Observation): void {
    this.enqueue({ observations: [observation], feedback: [] });
  }

  recordFeedback(events: FeedbackRecord[]): void {
    if (events.length) this.enqueue({ observations: [], feedback: events });
  }

  async flush(): Promise<void> {
    this.drain(true);
  }

  ready(): boolean {
    return this.stats.storeHealthy || this.spillWritable;
  }

  /** Stops the timer; call `flush` first to write what is queued. */
  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private enqueue(batch: RecordBatch): void {
    if (this.stats.queued >= this.o.maxQueue) {
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
      this.drain(false);
    }, delayMs);
    this.timer.unref();
  }

  /** Writes the queue (and, when the store is back, the spill file). `force` tries the store even while backing off. */
  private drain(force: boolean): void {
    try {
      this.drainOnce(force);
    } catch (err) {
      // Never let a timer throw: anything unexpected is reported; records taken off the queue were spilled or counted.
      this.options.onStoreError?.(err);
    }
  }

  private drainOnce(force: boolean): void {
    const batch = this.queue;
    this.queue = { observations: [], feedback: [] };
    this.stats.queued = 0;
    const canTry = force || this.stats.storeHealthy || Date.now() >= this.retryAt;
    if (canTry && this.spill.hasRecords() && this.storeTakesWrites()) this.replay();
    if (size(batch) === 0) {
      if (!this.stats.storeHealthy && this.spill.hasRecords()) this.schedule(this.o.retryMs);
      return;
    }
    if (!canTry || !this.stats.storeHealthy) {
      this.toSpill(batch);
      this.schedule(this.o.retryMs);
      return;
    }
    for (let i = 0; i < batch.observations.length || i < batch.feedback.length; i += this.o.batchSize) {
      const part = { observations: batch.observations.slice(i, i + this.o.batchSize), feedback: batch.feedback.slice(i, i + this.o.batchSize) };
      if (this.tryStore(part)) this.stats.stored += size(part);
      else this.toSpill(part);
    }
  }

  private tryStore(batch: RecordBatch): boolean {
    if (!this.stats.storeHealthy && Date.now() < this.retryAt) return false;
    try {
      this.store.write(batch);
      this.stats.storeHealthy = true;
      return true;
    } catch (err) {
      if (this.stats.storeHealthy) this.options.onStoreError?.(err);
      this.stats.storeHealthy = false;
      this.retryAt = Date.now() + this.o.retryMs;
      this.schedule(this.o.retryMs);
      return false;
    }
  }

  /** A cheap check before reading a possibly large spill file. */
  private storeTakesWrites(): boolean {
    try {
      this.store.probe();
      return true;
    } catch {
      this.stats.storeHealthy = false;
      this.retryAt = Date.now() + this.o.retryMs;
      this.schedule(this.o.retryMs);
      return false;
    }
  }

  private replay(): void {
    let replayed = 0;
    for (const batch of this.spill.batches()) {
      if (!this.tryStore(batch)) return;
      replayed += size(batch);
    }
    this.spill.clear();
    this.stats.replayed += replayed;
    this.stats.stored += replayed;
    this.options.onReplayed?.(replayed);
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
