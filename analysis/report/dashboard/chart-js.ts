import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The UMD build of the installed Chart.js; its exports map has no entry for it, so it is read beside the CommonJS entry. */
const UMD_FILE = 'chart.umd.min.js';

let cached: string | null = null;

/** Where the installed Chart.js UMD bundle lives. */
export function chartJsPath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('chart.js')), UMD_FILE);
}

/**
 * The Chart.js UMD bundle, ready to be inlined in a `<script>` element: a `</script` or `<!--` inside it
 * (in a string literal) is written with a backslash so the HTML parser never ends the element early.
 */
export function chartJsSource(): string {
  cached ??= inlineSafe(readFileSync(chartJsPath(), 'utf8'));
  return cached;
}

/** Makes script text safe to place between `<script>` and `</script>`. */
export function inlineSafe(code: string): string {
  return code.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}
