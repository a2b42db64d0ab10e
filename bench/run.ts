import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { EnvError } from '../schema/env.ts';
import { runBench } from './harness.ts';
import { renderMarkdown } from './report.ts';
import { concurrenciesOf, type Mode, OPEN_MODES, openModesOf, settingsFromEnv, TARGET_MODES, type TargetName } from './settings.ts';
import { RESULTS_DIR, writeResults } from './write-results.ts';

/** `npm run bench`: measures, writes the results under bench/results/ and prints the table. */
async function main(): Promise<void> {
  const settings = settingsFromEnv();
  if (settings.cpuProfile) {
    settings.cpuProfileDir = join(RESULTS_DIR, 'profiles');
    mkdirSync(settings.cpuProfileDir, { recursive: true });
  }
  const served = (target: TargetName): Mode[] => settings.modes.filter((m) => TARGET_MODES[target].includes(m));
  const closedCells =
    settings.openLoop === 'only'
      ? 0
      : settings.targets.reduce((sum, t) => sum + served(t).reduce((n, m) => n + concurrenciesOf(settings, m).length, 0), 0);
  const openCells = settings.targets.reduce((sum, t) => sum + openModesOf(settings, t, served(t)).length * settings.openRates.length, 0);
  const chatStream = settings.modes.includes('chat-stream') ? ` (chat-stream: ${settings.chatStreamConcurrencies.join('/')})` : '';
  if (closedCells > 0)
    console.log(
      `benchmark: ${settings.targets.join(', ')} x ${settings.modes.join(', ')} x ${settings.concurrencies.join('/')} connections${chatStream}; ${closedCells} cells of ${settings.warmupSeconds} s + ${settings.seconds} s`,
    );
  if (openCells > 0)
    console.log(
      `open loop: ${settings.targets.filter((t) => openModesOf(settings, t, served(t)).length > 0).join(', ')} x ${OPEN_MODES.filter((m) => settings.modes.includes(m)).join(', ')} x ${settings.openRates.join('/')} req/s; ${openCells} cells of ${settings.warmupSeconds} s + ${settings.openSeconds} s`,
    );
  const result = await runBench(settings, (line) => console.log(line));
  const markdown = renderMarkdown(result);
  const written = writeResults(result, markdown);
  console.log(`\n${markdown}`);
  console.log(`written: ${written.map((p) => relative(process.cwd(), p)).join(', ')}`);
  if (settings.cpuProfileDir)
    console.log(`CPU profiles in ${relative(process.cwd(), settings.cpuProfileDir)} (summarise: npx tsx bench/profile-summary.ts <file>)`);
  if ([...result.cells, ...result.openCells].some((c) => c.errors > 0) || Object.values(result.processWarmupErrors).some(Boolean))
    process.exitCode = 1;
}

main().catch((error: unknown) => {
  if (error instanceof EnvError) {
    console.error(`bench: ${error.message}`);
    process.exit(2);
  }
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
