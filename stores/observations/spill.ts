import { appendFileSync, closeSync, existsSync, fstatSync, mkdirSync, openSync, readSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { RecordBatch } from './interface.ts';

const BLOCK = 1 << 20;

/**
 * An append-only JSON-lines file that keeps record batches while the store is down. Appends and reads
 * are synchronous, so a replay never interleaves with an append.
 */
export class SpillFile {
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
  }

  /** Appends a batch; throws when the file cannot be written. A line torn by a crash is ended first. */
  append(batch: RecordBatch): void {
    const torn = existsSync(this.path) && !endsWithNewline(this.path);
    appendFileSync(this.path, `${torn ? '\n' : ''}${JSON.stringify(batch)}\n`);
  }

  hasRecords(): boolean {
    return existsSync(this.path);
  }

  /**
   * Every batch, read block by block (the file may be large after a long outage). A line that does not
   * parse (torn by a crash mid-append) is counted in `torn` and skipped; complete lines are never skipped.
   */
  *batches(stats: { torn: number } = { torn: 0 }): Generator<RecordBatch> {
    if (!existsSync(this.path)) return;
    const fd = openSync(this.path, 'r');
    try {
      const buffer = Buffer.alloc(BLOCK);
      let carry = '';
      for (;;) {
        const n = readSync(fd, buffer, 0, BLOCK, null);
        const text = carry + buffer.toString('utf8', 0, n);
        const lines = text.split('\n');
        carry = n === 0 ? '' : (lines.pop() ?? '');
        for (const line of lines) {
          if (!line) continue;
          try {
            yield JSON.parse(line) as RecordBatch;
          } catch {
            stats.torn += 1;
          }
        }
        if (n === 0) return;
      }
    } finally {
      closeSync(fd);
    }
  }

  /** Reads every batch at once (tests, small files). */
  read(): { batches: RecordBatch[]; torn: number } {
    const stats = { torn: 0 };
    return { batches: [...this.batches(stats)], torn: stats.torn };
  }

  clear(): void {
    rmSync(this.path, { force: true });
  }
}

function endsWithNewline(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return true;
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    return last[0] === 0x0a;
  } finally {
    closeSync(fd);
  }
}
