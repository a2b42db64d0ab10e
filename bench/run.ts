import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { EnvError } from '../schema/env.ts';
import { runBench } from './harness.ts';
import { renderMarkdown } from './report.ts';
import { concurrenciesOf, settingsFromEnv, TARGET_MODES } from './settings.ts';
import { RESULTS_DIR, writeResults } from './write-results.ts';

/** `npm run bench`: measures, writes the results under bench/results/ and prints the table. */
async function main(): Promise<void> {
  const settings = settingsFromEnv();
  if (settings.cpuProfile) {
    settings.cpuProfileDir = join(RESULTS_DIR, 'profiles');
    mkdirSync(settings.cpuProfileDir, { recursive: true });
  }
  const cells = settings.targets.reduce(
    (sum, target) =>
      sum + settings.modes.filter((m) => TARGET_MODES[target].includes(m)).reduce((n, m) => n + concurrenciesOf(settings, m).length, 0),
    0,
  );
  const chatStream = settings.modes.includes('chat-stream') ? ` (chat-stream: ${settings.chatStreamConcurrencies.join('/')})` : '';
  console.log(
    `benchmark: ${settings.targets.join(', ')} x ${settings.modes.join(', ')} x ${settings.concurrencies.join('/')} connections${chatStream}; ${cells} cells of ${settings.warmupSeconds} s + ${settings.seconds} s`,
  );
  const result = await runBench(settings, (line) => console.log(line));
  const markdown = renderMarkdown(result);
  const written = writeResults(result, markdown);
  console.log(`\n${markdown}`);
  console.log(`written: ${written.map((p) => relative(process.cwd(), p)).join(', ')}`);
  if (settings.cpuProfileDir)
    console.log(`CPU profiles in ${relative(process.cwd(), settings.cpuProfileDir)} (summarise: npx tsx bench/profile-summary.ts <file>)`);
  if (result.cells.some((c) => c.errors > 0) || Object.values(result.processWarmupErrors).some(Boolean)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  if (error instanceof EnvError) {
    console.error(`bench: ${error.message}`);
    process.exit(2);
  }
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
