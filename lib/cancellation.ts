/**
 * What request paths read of a cancellation: a subset of `AbortSignal`, so a real AbortSignal is one too (tests and
 * the Workers entry pass those).
 */
export interface CancelSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: AbortListener, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: AbortListener): void;
}

export type AbortListener =
  | ((event: { type: 'abort'; target: CancelSignal }) => void)
  | { handleEvent(event: { type: 'abort'; target: CancelSignal }): void };

/**
 * An abort controller and its signal in one plain object, for the cancellations the gateway makes on every request
 * and upstream attempt: on Node 20 an `AbortController` with its signal costs about 5 µs to make (an EventTarget
 * with its internals), this a fraction of one. It behaves as the pair does for what the gateway uses: `abort(reason)`
 * once (later calls do nothing), listeners called in the order added, each once, synchronously inside `abort`, with
 * the cancellation as `this`; a listener added twice is called once, one added after the abort never, one removed by
 * an earlier listener during the abort not at all. A listener that throws does not stop the
 * others; its error is thrown again outside `abort`, as an EventTarget reports it. undici's `request` accepts it as
 * its `signal` (it asks for an EventTarget-like object with `aborted`, `reason` and these two methods).
 */
export class Cancellation implements CancelSignal {
  aborted = false;
  reason: unknown = undefined;
  private listeners: AbortListener[] | null = null;

  addEventListener(type: 'abort', listener: AbortListener): void {
    if (type !== 'abort' || this.aborted) return;
    if (this.listeners === null) this.listeners = [listener];
    else if (!this.listeners.includes(listener)) this.listeners.push(listener);
  }

  removeEventListener(type: 'abort', listener: AbortListener): void {
    const at = type === 'abort' && this.listeners ? this.listeners.indexOf(listener) : -1;
    if (at !== -1) this.listeners!.splice(at, 1);
  }

  abort(reason?: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason === undefined ? new DOMException('This operation was aborted', 'AbortError') : reason;
    const listeners = this.listeners;
    if (!listeners) return;
    const event = { type: 'abort' as const, target: this };
    // Over a copy, each still registered when its turn comes: a listener removed by an earlier one is not called.
    for (const listener of listeners.slice()) {
      if (!listeners.includes(listener)) continue;
      try {
        if (typeof listener === 'function') listener.call(this, event);
        else listener.handleEvent(event);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
    this.listeners = null;
  }
}
