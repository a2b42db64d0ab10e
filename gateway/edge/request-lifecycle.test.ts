import { describe, expect, it } from 'vitest';
import { RequestLifecycle } from './request-lifecycle.ts';

/** Whether `promise` has settled after pending callbacks ran. */
async function settled(promise: Promise<void>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  await new Promise((r) => setTimeout(r, 0));
  return done;
}

describe('RequestLifecycle', () => {
  it('tells the armed request when it has finished', async () => {
    const lifecycle = new RequestLifecycle();
    let finished: Promise<void> | undefined;
    lifecycle.next((f) => (finished = f));
    const release = lifecycle.track(new AbortController());
    expect(lifecycle.disarm()).toBe(false);
    expect(await settled(finished!)).toBe(false);
    release();
    expect(await settled(finished!)).toBe(true);
  });

  it('holds a finished request until the shadow calls started before it ended are done, so their work and records stay under its waitUntil', async () => {
    const lifecycle = new RequestLifecycle();
    let finished: Promise<void> | undefined;
    lifecycle.next((f) => (finished = f));
    const releaseLive = lifecycle.track(new AbortController());
    // The shadow dispatcher registers its call (no request armed it) while the live request's observation is recorded.
    const releaseShadow = lifecycle.track(new AbortController());
    releaseLive();
    expect(await settled(finished!)).toBe(false);
    releaseShadow();
    expect(await settled(finished!)).toBe(true);
    expect(lifecycle.active).toBe(0);
  });
});
