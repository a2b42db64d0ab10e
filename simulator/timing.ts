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
 * Frames of a streamed answer re-timed to last `durationMs` real ms: frames up to the first content frame keep
 * their simulated times (scaled by `timeScale`), the rest are spread over what is left of `durationMs` in the
 * proportions of their simulated times, so the last frame is due at `durationMs` (or with the first content,
 * when that comes later). Without content frames, everything after the first frame is spread. The result is in real ms (stream it at time scale 1).
 */
export function pacedFrames(frames: Iterable<ScheduledFrame>, timeScale: number, durationMs: number): ScheduledFrame[] {
  const all = [...frames];
  const first = all.findIndex((f) => f.content);
  if (all.length === 0) return all;
  const pivot = first === -1 ? 0 : first;
  const pivotAt = all[pivot]!.atMs;
  const pivotReal = pivotAt * timeScale;
  const span = all[all.length - 1]!.atMs - pivotAt;
  const rest = Math.max(0, durationMs - pivotReal);
  return all.map((frame, i) => {
    if (i <= pivot) return { ...frame, atMs: frame.atMs * timeScale };
    const share = span > 0 ? (frame.atMs - pivotAt) / span : 1;
    return { ...frame, atMs: pivotReal + share * rest };
  });
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
