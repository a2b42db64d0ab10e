import { loadCurrentConfig, type LoadedConfig } from '../../stores/config/current.ts';
import { commandEnv } from '../../schema/env.ts';
import { configStoreFromEnv } from '../../stores/config/env.ts';
import { EvalEnv, parseEvalArgs, USAGE, type EvalArgs } from './args.ts';
import { startEmbeddedStack } from './cli-stack.ts';
import { checkArgs, runEvalCommand, UsageError } from './command.ts';

/** The configuration of `--config`, or the config store's (the shipped file while the store is empty). */
async function loadConfig(args: EvalArgs, env: EvalEnv): Promise<LoadedConfig> {
  if (args.config === undefined) return loadCurrentConfig({ store: configStoreFromEnv(env), fallbackFile: env.GATEWAY_CONFIG });
  try {
    return await loadCurrentConfig({ file: args.config });
  } catch (error) {
    throw new UsageError(`--config: ${(error as Error).message}`);
  }
}

/** Composition root of `npm run eval`. */
async function main(): Promise<number> {
  const env = commandEnv(EvalEnv, process.env, (message) => console.error(`eval: ${message}`));
  if (!env) return 2;
  const args = parseEvalArgs(process.argv.slice(2), env);
  if (typeof args === 'string') {
    console.error(`eval: ${args}\n${USAGE}`);
    return 2;
  }
  if ('help' in args) {
    console.log(USAGE);
    return 0;
  }
  let config: LoadedConfig;
  try {
    config = await loadConfig(args, env);
    checkArgs(args, config.config);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`eval: ${error.message}\n${USAGE}`);
    return 2;
  }
  console.error(`eval: configuration: ${config.origin.description}`);
  const embedded = args.gateway
    ? null
    : await startEmbeddedStack({ config: config.config, seed: args.seed, timeScale: args['time-scale'] });
  if (embedded) console.error(`eval: embedded gateway ${embedded.url} with simulator upstream (time scale ${args['time-scale']})`);
  const controller = new AbortController();
  process.once('SIGINT', () => {
    console.error('\neval: interrupted; finishing calls in flight (rerun with the same --run-id to resume)');
    controller.abort();
  });
  try {
    const result = await runEvalCommand(args, {
      gatewayUrl: args.gateway ?? embedded!.url,
      config,
      apiKey: args['api-key'] ?? env.GATEWAY_API_KEY,
      signal: controller.signal,
    });
    const s = result.summary;
    console.log(result.markdown);
    console.log(
      `run ${result.runId}: ${s.total} pairs, ${s.skipped} already finished, ${s.called} called, ${s.errors} failed${s.aborted ? ' (interrupted)' : ''}`,
    );
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
