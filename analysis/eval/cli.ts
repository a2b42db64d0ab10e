import { parseEvalArgs, USAGE } from './args.ts';
import { startEmbeddedStack } from './cli-stack.ts';
import { checkArgs, runEvalCommand, UsageError } from './command.ts';

/** Composition root of `npm run eval`. */
async function main(): Promise<number> {
  const args = parseEvalArgs(process.argv.slice(2));
  if (typeof args === 'string') {
    console.error(`eval: ${args}\n${USAGE}`);
    return 2;
  }
  if ('help' in args) {
    console.log(USAGE);
    return 0;
  }
  try {
    checkArgs(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`eval: ${error.message}\n${USAGE}`);
    return 2;
  }
  const embedded = args.gateway ? null : await startEmbeddedStack({ configPath: args.config, seed: args.seed, timeScale: args['time-scale'] });
  if (embedded) console.error(`eval: embedded gateway ${embedded.url} with simulator upstream (time scale ${args['time-scale']})`);
  const controller = new AbortController();
  process.once('SIGINT', () => {
    console.error('\neval: interrupted; finishing calls in flight (rerun with the same --run-id to resume)');
    controller.abort();
  });
  try {
    const result = await runEvalCommand(args, { gatewayUrl: args.gateway ?? embedded!.url, apiKey: args['api-key'] ?? process.env.GATEWAY_API_KEY, signal: controller.signal });
    const s = result.summary;
    console.log(result.markdown);
    console.log(`run ${result.runId}: ${s.total} pairs, ${s.skipped} already finished, ${s.called} called, ${s.errors} failed${s.aborted ? ' (interrupted)' : ''}`);
    console.log(`report written to ${result.markdownPath} and ${result.jsonPath}; dashboard: ${result.dashboardPath}`);
    return s.aborted ? 130 : 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`eval: ${error.message}\n${USAGE}`);
      return 2;
    }
    throw error;
  } finally {
    await embedded?.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`eval failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
