import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './harness.ts';

/** Where `npm run bench` writes its results. */
export const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));

/**
 * Writes `<date>.json` and `<date>.md` (suffixed `-quick` or `-partial` for smoke runs and subsets) and, for
 * full runs only, `latest.md`. Returns the paths written.
 */
export function writeResults(result: BenchResult, markdown: string, dir: string = RESULTS_DIR): string[] {
  mkdirSync(dir, { recursive: true });
  const stamp = result.startedAt.slice(0, 19).replace('T', '-').replaceAll(':', '');
  const { quick, partial } = result.settings;
  const base = join(dir, `${stamp}${quick ? '-quick' : partial ? '-partial' : ''}`);
  const written = [`${base}.json`, `${base}.md`];
  writeFileSync(written[0]!, `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(written[1]!, markdown);
  if (!quick && !partial) {
    const latest = join(dir, 'latest.md');
    writeFileSync(latest, markdown);
    written.push(latest);
  }
  return written;
}
