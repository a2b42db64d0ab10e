import { type Abortable, Lifecycle } from '../lifecycle.ts';

/**
 * The Worker's lifecycle: besides tracking in-flight calls, it tells the Worker when one request has finished
 * (its observation recorded, streamed answers included), so the flush can be handed to that request's
 * `ctx.waitUntil`. The app registers a request synchronously when `app.fetch` starts, so the Worker arms
 * `next` just before calling it. Calls no request armed are the shadow dispatcher's, registered while a live
 * request's observation is recorded: a request counts as finished only once those running then are done too, so
 * a shadow call runs, and its observation is flushed, under the live request's `waitUntil` (the runtime cancels
 * work no request waits for).
 */
export class RequestLifecycle extends Lifecycle {
  private waiting: ((finished: Promise<void>) => void) | null = null;
  private readonly background = new Set<Promise<void>>();

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

  override track(controller: Abortable): () => void {
    const forget = super.track(controller);
    const notify = this.waiting;
    this.waiting = null;
    let done!: (after?: Promise<unknown>) => void;
    const ended = new Promise<void>((resolve) => (done = (after) => resolve(after?.then(() => undefined))));
    if (!notify) {
      this.background.add(ended);
      return () => {
        forget();
        this.background.delete(ended);
        done();
      };
    }
    notify(ended);
    return () => {
      forget();
      done(Promise.all(this.background));
    };
  }
}
