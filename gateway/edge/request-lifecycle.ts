import { Lifecycle } from '../lifecycle.ts';

/**
 * The Worker's lifecycle: besides tracking in-flight calls, it tells the Worker when one request has finished
 * (its observation recorded, streamed answers included), so the flush can be handed to that request's
 * `ctx.waitUntil`. The app registers a request synchronously when `app.fetch` starts, so the Worker arms
 * `next` just before calling it.
 */
export class RequestLifecycle extends Lifecycle {
  private waiting: ((finished: Promise<void>) => void) | null = null;

  /** The next request that registers calls `onTracked` with a promise resolved when it has finished. */
  next(onTracked: (finished: Promise<void>) => void): void {
    this.waiting = onTracked;
  }

  /** Forgets an armed `next` that no request took. */
  disarm(): boolean {
    const armed = this.waiting !== null;
    this.waiting = null;
    return armed;
  }

  override track(controller: AbortController): () => void {
    const forget = super.track(controller);
    const notify = this.waiting;
    this.waiting = null;
    if (!notify) return forget;
    let done!: () => void;
    notify(new Promise<void>((resolve) => (done = resolve)));
    return () => {
      forget();
      done();
    };
  }
}
