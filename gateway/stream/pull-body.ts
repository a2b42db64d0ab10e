/** The source of a streamed answer's body: `start` gets the controller, `pull` is called for more, `cancel` when the reader goes. */
export interface PullSource {
  start(controller: ReadableStreamDefaultController<Uint8Array>): void;
  pull(): Promise<void>;
  cancel(reason?: unknown): void;
}

/** Makes the body of a streamed answer from its source. */
export type StreamBody = (source: PullSource) => ReadableStream<Uint8Array>;

/** The body as a web stream: what every runtime reads. */
export const webStreamBody: StreamBody = (source) => new ReadableStream<Uint8Array>(source);

/**
 * The body as a `PullBody`, for Hono's Node adapter, which reads a body through `getReader()` alone: typed as a web
 * stream for `Response`, which takes it as an async iterable wherever a real `Response` is made of it.
 */
export const pullBody: StreamBody = (source) => new PullBody(source) as unknown as ReadableStream<Uint8Array>;

/**
 * A streamed answer's body without a web `ReadableStream`. On Node 20 each `ReadableStream` costs a transferable
 * wrapper, a controller and reader of its own, and promises per pull; Hono's Node adapter only calls `getReader()`
 * and the reader's `read`, `cancel` and `closed`, which this class provides over the same source. Code that makes a
 * real `Response` of it (one that reads `.body`) gets the chunks through `Symbol.asyncIterator`, which `Response`
 * accepts. Typed as a web stream where it is made (`pullBody`), for `Response`: only those members are there.
 *
 * It pulls once right after `start`, as a web stream does, and then whenever a read finds nothing queued: it never
 * reads ahead of its reader (a web stream with a high-water mark of one chunk may pull one chunk ahead). Pulls never
 * overlap; a pull that throws errors the body. A waiting read is answered as soon as the source enqueues, closes or
 * errors, also outside a pull (the stream core's abort listener ends an answer while its pull still waits for the
 * upstream), or the body is cancelled. A read that finds nothing after a pull that enqueued nothing pulls again,
 * where a web stream would wait (the stream core's pulls always enqueue or end).
 */
export class PullBody implements ReadableStreamDefaultController<Uint8Array>, AsyncIterable<Uint8Array> {
  private readonly queue: Uint8Array[] = [];
  /** Closed by the source (what is queued is still read), cancelled, or errored. */
  private ended = false;
  private pulling: Promise<void> | null = null;
  private failure: { error: unknown } | null = null;
  /** Reads waiting for the pull under way, or for what the source does outside it. */
  private readonly waiting: (() => void)[] = [];
  locked = false;
  /** Resolves once the body has been read to its end or cancelled; rejects when it errored. */
  readonly closed: Promise<void>;
  private settleClosed!: (error?: { error: unknown }) => void;

  constructor(private readonly source: PullSource) {
    this.closed = new Promise<void>((resolve, reject) => {
      this.settleClosed = (failure) => (failure ? reject(failure.error) : resolve());
    });
    // A rejection nobody waits for is not an unhandled one.
    this.closed.catch(() => {});
    source.start(this);
    // As a web stream does: the first pull right after `start`, unless the body is cancelled before.
    queueMicrotask(() => void this.pull());
  }

  get desiredSize(): number | null {
    return this.ended ? 0 : 1 - this.queue.length;
  }

  enqueue(chunk: Uint8Array): void {
    if (this.ended) throw new TypeError('enqueue on a closed body');
    this.queue.push(chunk);
    this.wake();
  }

  close(): void {
    if (this.ended) throw new TypeError('close of a closed body');
    this.ended = true;
    if (this.queue.length === 0) this.settleClosed();
    this.wake();
  }

  error(error: unknown): void {
    if (this.ended && !this.queue.length) return;
    this.ended = true;
    this.queue.length = 0;
    this.failure = { error };
    this.settleClosed(this.failure);
    this.wake();
  }

  getReader(): this {
    if (this.locked) throw new TypeError('the body is locked to a reader');
    this.locked = true;
    return this;
  }

  releaseLock(): void {
    this.locked = false;
  }

  async read(): Promise<ReadableStreamReadResult<Uint8Array>> {
    while (this.queue.length === 0 && !this.ended) {
      await new Promise<void>((resolve) => {
        // Waiting before the pull starts: a source may enqueue or close before its pull's promise settles.
        this.waiting.push(resolve);
        void this.pull().then(resolve);
      });
    }
    if (this.failure) throw this.failure.error;
    const value = this.queue.shift();
    if (value === undefined) return { done: true, value: undefined };
    if (this.ended && this.queue.length === 0) this.settleClosed();
    return { done: false, value };
  }

  async cancel(reason?: unknown): Promise<void> {
    if (this.ended && this.queue.length === 0) return;
    this.queue.length = 0;
    const wasEnded = this.ended;
    this.ended = true;
    this.settleClosed();
    this.wake();
    // A source that closed already has nothing left to cancel.
    if (!wasEnded) this.source.cancel(reason);
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    let returned = false;
    return {
      next: async () => {
        const result = (await this.read()) as IteratorResult<Uint8Array>;
        // A read that `return` ended is not answered: its consumer reads no more, and the web stream Node 22's
        // `Response` makes of an iterator closes itself on a late `done` even when cancelled, which throws uncaught.
        return returned ? new Promise<never>(() => {}) : result;
      },
      // A consumer that stops early cancels the body at once, also while a read waits (an async generator's `return`
      // would wait for that read).
      return: async () => {
        returned = true;
        await this.cancel();
        return { done: true, value: undefined };
      },
    };
  }

  private wake(): void {
    if (this.waiting.length === 0) return;
    for (const resolve of this.waiting.splice(0)) resolve();
  }

  private pull(): Promise<void> {
    if (this.pulling) return this.pulling;
    if (this.ended) return Promise.resolve();
    let pulling: Promise<void>;
    try {
      pulling = Promise.resolve(this.source.pull());
    } catch (err) {
      pulling = Promise.reject(err);
    }
    const pulled = pulling.then(
      () => {
        this.pulling = null;
      },
      (err: unknown) => {
        this.pulling = null;
        this.error(err);
      },
    );
    this.pulling = pulled;
    return pulled;
  }
}
