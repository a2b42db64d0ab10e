/** A progress display for a run. */
export interface Progress {
  /** Called once before the first call: pairs already finished (skipped) and pairs of the whole run. */
  start?(skipped: number, total: number): void;
  update(done: number, total: number, errors: number): void;
  finish(): void;
}

/** Options of the line progress (logs, pipes, CI). */
export interface LineProgressOptions {
  /** A line at least every this share of the pairs (default 0.1). */
  step?: number;
  /** A line at least every this many ms while results arrive, and while none do (default 10 s). */
  intervalMs?: number;
  /** Clock (default `Date.now`). */
  now?: () => number;
}

/**
 * A one-line progress bar redrawn on `stream` when it is a terminal; otherwise one line at every 10% of the
 * pairs or every 10 s, whichever comes first (`lineProgress`).
 */
export function createProgress(stream: NodeJS.WriteStream = process.stderr, width = 30): Progress {
  if (!stream.isTTY) return lineProgress((line) => stream.write(`${line}\n`));
  let lastDraw = 0;
  let drawn = false;
  return {
    update(done, total, errors) {
      const now = Date.now();
      if (done < total && now - lastDraw < 100) return;
      lastDraw = now;
      drawn = true;
      const share = total ? done / total : 1;
      const filled = Math.round(share * width);
      stream.write(
        `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${(100 * share).toFixed(1)}%${errors ? ` errors ${errors}` : ''}`,
      );
    },
    finish() {
      if (drawn) stream.write('\n');
    },
  };
}

/**
 * Progress as whole lines for output that is not a terminal: `eval: progress 160/1600 pairs (10.0%), 0 errors,
 * 12.4 s elapsed, 12.9 pairs/s` each time another `step` of the pairs is done or `intervalMs` has passed since
 * the last line, whichever comes first; a timer writes the same line while no result arrives for `intervalMs`;
 * `finish` writes the last state unless it was just written. The rate counts the pairs called by this run.
 */
export function lineProgress(write: (line: string) => void, options: LineProgressOptions = {}): Progress {
  const now = options.now ?? Date.now;
  const step = options.step ?? 0.1;
  const intervalMs = options.intervalMs ?? 10_000;
  let started = now();
  let skipped = 0;
  let state = { done: 0, total: 0, errors: 0 };
  let lastLine = started;
  let lastDone = -1;
  let lastStep = 0;
  let timer: NodeJS.Timeout | undefined;

  function line(): void {
    const { done, total, errors } = state;
    const elapsed = (now() - started) / 1000;
    const share = total ? done / total : 1;
    const rate = elapsed > 0 ? (done - skipped) / elapsed : 0;
    write(
      `eval: progress ${done}/${total} pairs (${(100 * share).toFixed(1)}%), ${errors} error${errors === 1 ? '' : 's'}, ` +
        `${elapsed.toFixed(1)} s elapsed, ${rate.toFixed(1)} pairs/s`,
    );
    lastLine = now();
    lastDone = done;
    lastStep = stepOf(done, total);
  }
  function stepOf(done: number, total: number): number {
    return total ? Math.floor(done / total / step + 1e-9) : 0;
  }
  function tick(): void {
    if (now() - lastLine >= intervalMs) line();
  }
  return {
    start(skippedPairs, total) {
      started = now();
      lastLine = started;
      skipped = skippedPairs;
      state = { done: skippedPairs, total, errors: 0 };
      lastStep = stepOf(skippedPairs, total);
      timer = setInterval(tick, intervalMs);
      timer.unref();
    },
    update(done, total, errors) {
      state = { done, total, errors };
      if (stepOf(done, total) > lastStep || now() - lastLine >= intervalMs) line();
    },
    finish() {
      if (timer) clearInterval(timer);
      if (state.done !== lastDone) line();
    },
  };
}
