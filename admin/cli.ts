import { runCli } from './cli-commands.ts';

/** Entry point of `npm run admin -- <command>`. */
async function main(): Promise<void> {
  process.exitCode = await runCli(process.argv.slice(2), process.env, (line) => console.log(line));
}

main().catch((err: unknown) => {
  console.error(`admin: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
