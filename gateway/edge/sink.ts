import type { FeedbackRecord } from '../../schema/feedback.ts';
import type { Observation } from '../../schema/observation.ts';
import type { ObservationSink, RecordBatch, RecordStore } from '../../stores/observations/interface.ts';

/** Options of the Worker's observation sink. */
export interface EdgeSinkOptions {
  /** Records per store write. Default 100. */
  batchSize?: number;
  /** Tries per batch before its records are dropped (and counted). Default 3. */
  attempts?: number;
  /** Records held in the isolate at most; what arrives beyond is dropped and counted. Default 5,000. */
  maxBuffered?: number;
  /**
   * Time one flush may spend before it stops starting batches and leaves the rest buffered for the next flush.
   * Default 15,000 ms: the runtime gives `waitUntil` work about 30 s after the answer.
   */
  drainBudgetMs?: number;
  /** Pause before the second try, doubled for each further one. Default 50 ms. */
  backoffMs?: number;
  /** Told about every batch that could not be written. */
  onDropped?: (count: number, error: unknown) => void;
}

/** Beyond its budget, a drain is given this long for the batch under way before it counts as cut. */
const STALE_AFTER_BUDGET_MS = 15_000;

/** One flush's write-out of what was buffered when it began. */
interface Drain {
  done: Promise<void>;
  /** Epoch ms when it began. */
  since: number;
  /** Records taken and not yet written or dropped. */
  left: number;
  abandoned: boolean;
}

/** What the sink did in this isolate, served on `/healthz` of the Worker. */
export interface EdgeSinkStats {
  written: number;
  retried: number;
  dropped: number;
  buffered: number;
  lastError: string | null;
}

/**
 * Observation sink of the Worker: records wait in the isolate and are written in batches when `flush` runs (the
 * Worker calls it through `ctx.waitUntil` once a request has finished, so writes never delay an answer). A batch
 * is retried with backoff; what still cannot be written is counted as dropped and reported, never lost silently.
 * There is no spill file at the edge (no file system).
 */
export class EdgeSink implements ObservationSink {
  private observations: Observation[] = [];
  private feedback: FeedbackRecord[] = [];
  private running: Drain | null = null;
  private readonly counts: Omit<EdgeSinkStats, 'buffered'> = { written: 0, retried: 0, dropped: 0, lastError: null };

  constructor(
    private readonly store: RecordStore,
    private readonly options: EdgeSinkOptions = {},
  ) {}

  record(observation: Observation): void {
    if (this.full(1)) return;
    this.observations.push(observation);
  }

  recordFeedback(events: FeedbackRecord[]): void {
    if (this.full(events.length)) return;
    this.feedback.push(...events);
  }

  ready(): boolean {
    return true;
  }

  stats(): EdgeSinkStats {
    return { ...this.counts, buffered: this.observations.length + this.feedback.length };
  }

  /** Writes everything buffered; one flush at a time, and records that arrive meanwhile go in the next round. */
  async flush(): Promise<void> {
    while (this.running) {
      const run = this.running;
      if (Date.now() - run.since > (this.options.drainBudgetMs ?? 15_000) + STALE_AFTER_BUDGET_MS) {
        this.abandon(run);
        break;
      }
      await run.done;
    }
    if (!this.observations.length && !this.feedback.length) return;
    const run: Drain = { since: Date.now(), left: 0, abandoned: false, done: Promise.resolve() };
    this.running = run;
    run.done = this.drain(run).finally(() => {
      if (this.running === run) this.running = null;
    });
    await run.done;
  }

  /**
   * A drain running far past its budget was cut with the request that held it (the runtime does not settle its
   * promises then): its unwritten records are counted as dropped, and flushes stop waiting for it.
   */
  private abandon(run: Drain): void {
    run.abandoned = true;
    this.running = null;
    if (run.left) this.drop(run.left, new Error('a flush did not finish (cut by the runtime); its records are lost'));
  }

  private full(incoming: number): boolean {
    const max = this.options.maxBuffered ?? 5_000;
    if (this.observations.length + this.feedback.length + incoming <= max) return false;
    this.drop(incoming, new Error(`more than ${max} records waiting for the store`));
    return true;
  }

  private drop(count: number, error: unknown): void {
    this.counts.dropped += count;
    this.counts.lastError = error instanceof Error ? error.message : String(error);
    this.options.onDropped?.(count, error);
  }

  /**
   * Writes what is buffered now, not what arrives meanwhile: a drain runs in the `waitUntil` of the request that
   * started it, which the runtime ends about 30 s after the answer, so under steady traffic a drain that kept taking
   * new records would never end and would be cut mid-batch (those records lost uncounted, later flushes waiting on it).
   * For the same reason a drain stops starting batches after `drainBudgetMs`.
   */
  private async drain(run: Drain): Promise<void> {
    const size = this.options.batchSize ?? 100;
    const deadline = Date.now() + (this.options.drainBudgetMs ?? 15_000);
    const pending = { observations: this.observations.splice(0), feedback: this.feedback.splice(0) };
    run.left = pending.observations.length + pending.feedback.length;
    while (pending.observations.length || pending.feedback.length) {
      if (run.abandoned) return;
      if (Date.now() > deadline) {
        run.left = 0;
        // A slow or failing store: what is left waits for the next flush (the buffer cap still applies to arrivals).
        this.observations.unshift(...pending.observations);
        this.feedback.unshift(...pending.feedback);
        return;
      }
      const observations = pending.observations.splice(0, size);
      const feedback = pending.feedback.splice(0, size - observations.length);
      await this.writeBatch({ observations, feedback }, run);
      run.left -= observations.length + feedback.length;
    }
  }

  private async writeBatch(batch: RecordBatch, run: Drain): Promise<void> {
    const attempts = this.options.attempts ?? 3;
    const count = batch.observations.length + batch.feedback.length;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.store.write(batch);
        // An abandoned drain's records were counted as dropped already.
        if (!run.abandoned) this.counts.written += count;
        return;
      } catch (error) {
        if (attempt >= attempts || run.abandoned) return run.abandoned ? undefined : this.drop(count, error);
        this.counts.retried += 1;
        await new Promise((r) => setTimeout(r, (this.options.backoffMs ?? 50) * 2 ** (attempt - 1)));
      }
    }
  }
}
