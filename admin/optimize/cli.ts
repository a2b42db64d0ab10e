import { runOptimize } from './command.ts';

/** Entry point of `npm run optimize`. */
async function main(): Promise<void> {
  process.exitCode = await runOptimize(process.argv.slice(2), process.env, (line) => console.log(line));
}

main().catch((err: unknown) => {
  console.error(`optimize: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
