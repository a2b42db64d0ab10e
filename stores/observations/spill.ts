import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { RecordBatch } from './interface.ts';

/**
 * An append-only JSON-lines file that keeps record batches while the store is down. Appends and reads
 * are synchronous, so a replay never interleaves with an append.
 */
export class SpillFile {
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
  }

  /** Appends a batch; throws when the file cannot be written. */
  append(batch: RecordBatch): void {
    appendFileSync(this.path, `${JSON.stringify(batch)}\n`);
  }

  hasRecords(): boolean {
    return existsSync(this.path);
  }

  /**
   * Reads every batch. A torn last line (a crash mid-append) is skipped and reported in `torn`;
   * complete lines are never skipped.
   */
  read(): { batches: RecordBatch[]; torn: number } {
    if (!existsSync(this.path)) return { batches: [], torn: 0 };
    const batches: RecordBatch[] = [];
    let torn = 0;
    for (const line of readFileSync(this.path, 'utf8').split('\n')) {
      if (!line) continue;
      try {
        batches.push(JSON.parse(line) as RecordBatch);
      } catch {
        torn += 1;
      }
    }
    return { batches, torn };
  }

  clear(): void {
    rmSync(this.path, { force: true });
  }
}
