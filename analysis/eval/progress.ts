/** A progress display for a run. */
export interface Progress {
  update(done: number, total: number, errors: number): void;
  finish(): void;
}

/** A one-line progress bar redrawn on `stream` when it is a terminal; silent otherwise (logs, pipes, CI). */
export function createProgress(stream: NodeJS.WriteStream = process.stderr, width = 30): Progress {
  if (!stream.isTTY) return { update: () => {}, finish: () => {} };
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
