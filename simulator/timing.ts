/** A frame and the simulated ms (after the call started) at which it is due. */
export interface ScheduledFrame {
  atMs: number;
  bytes: Uint8Array;
  /** True for frames carrying answer content (the first one marks time to first byte). */
  content?: boolean;
}

/** Callbacks of a frame stream. */
export interface StreamHooks {
  onFirstContent(): void;
  /** Called once, when the last frame has gone out or (`cancelled`) when the reader went away first. */
  onEnd(cancelled: boolean): void;
}

/** Real epoch ms with sub-ms precision. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Waits until `startedAt + simulatedMs * timeScale` (epoch ms); never touches timers at time scale 0. */
export function waitUntil(startedAt: number, simulatedMs: number, timeScale: number): Promise<void> | undefined {
  if (timeScale <= 0) return undefined;
  const wait = startedAt + simulatedMs * timeScale - nowMs();
  return wait >= 1 ? sleep(wait) : undefined;
}

/** Resolves after `ms` real milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A byte stream that enqueues each frame when it is due (scaled by `timeScale`); at time scale 0 every
 * frame is enqueued at once.
 */
export function frameStream(
  frames: Iterable<ScheduledFrame>,
  startedAt: number,
  timeScale: number,
  hooks: StreamHooks,
): ReadableStream<Uint8Array> {
  let firstContent = true;
  let ended = false;
  const end = (cancelled: boolean): void => {
    if (ended) return;
    ended = true;
    hooks.onEnd(cancelled);
  };
  const push = (controller: ReadableStreamDefaultController<Uint8Array>, frame: ScheduledFrame): void => {
    if (frame.content && firstContent) {
      firstContent = false;
      hooks.onFirstContent();
    }
    controller.enqueue(frame.bytes);
  };
  if (timeScale <= 0) {
    return new ReadableStream<Uint8Array>({
      start(controller) {
        for (const frame of frames) push(controller, frame);
        end(false);
        controller.close();
      },
    });
  }
  const iterator = frames[Symbol.iterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = iterator.next();
      if (next.done) {
        end(false);
        controller.close();
        return;
      }
      await waitUntil(startedAt, next.value.atMs, timeScale);
      if (ended) return;
      push(controller, next.value);
    },
    cancel() {
      end(true);
    },
  });
}
