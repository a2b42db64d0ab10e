import { describe, expect, it, vi } from 'vitest';
import { Cancellation, type AbortListener, type CancelSignal } from './cancellation.ts';

/** The same script run on a Cancellation and on an AbortController gives the same calls. */
function script(make: () => { signal: CancelSignal; abort(reason?: unknown): void }): string[] {
  const calls: string[] = [];
  const { signal, abort } = make();
  const first: AbortListener = () => calls.push(`first ${String(signal.reason)}`);
  const object: AbortListener = { handleEvent: (event) => calls.push(`object ${event.type} ${event.target === signal}`) };
  const removed: AbortListener = () => calls.push('removed');
  const removedDuringAbort: AbortListener = () => calls.push('removed during abort');
  const remover: AbortListener = function (this: unknown) {
    calls.push(`remover this ${this === signal}`);
    signal.removeEventListener('abort', removedDuringAbort);
  };
  signal.addEventListener('abort', first, { once: true });
  signal.addEventListener('abort', first);
  signal.addEventListener('abort', object);
  signal.addEventListener('abort', removed);
  signal.removeEventListener('abort', removed);
  signal.addEventListener('abort', remover);
  signal.addEventListener('abort', removedDuringAbort);
  calls.push(`before ${signal.aborted}`);
  abort('gone');
  calls.push(`after ${signal.aborted} ${String(signal.reason)}`);
  abort('again');
  signal.addEventListener('abort', () => calls.push('late'));
  calls.push(`reason ${String(signal.reason)}`);
  return calls;
}

describe('Cancellation', () => {
  it('calls its listeners as an AbortController does', () => {
    const ours = script(() => {
      const c = new Cancellation();
      return { signal: c, abort: (reason) => c.abort(reason) };
    });
    const theirs = script(() => {
      const c = new AbortController();
      return { signal: c.signal as CancelSignal, abort: (reason) => c.abort(reason) };
    });
    expect(ours).toEqual(theirs);
    expect(ours).toEqual(['before false', 'first gone', 'object abort true', 'remover this true', 'after true gone', 'reason gone']);
  });

  it('gives an AbortError as the reason of an abort without one', () => {
    const c = new Cancellation();
    c.abort();
    expect(c.reason).toBeInstanceOf(DOMException);
    expect((c.reason as DOMException).name).toBe('AbortError');
  });

  it('calls the other listeners when one throws, and throws its error again outside abort', () => {
    const later: (() => void)[] = [];
    vi.stubGlobal('queueMicrotask', (task: () => void) => later.push(task));
    try {
      const c = new Cancellation();
      const calls: string[] = [];
      c.addEventListener('abort', {
        handleEvent() {
          throw new Error('listener broke');
        },
      });
      c.addEventListener('abort', () => calls.push('next'));
      c.abort('x');
      expect(calls).toEqual(['next']);
      expect(later).toHaveLength(1);
      expect(() => later[0]!()).toThrow('listener broke');
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
