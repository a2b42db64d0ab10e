import { z } from 'zod';
import { parseEnv } from '../../schema/env.ts';
import { startLocalEdge } from './local.ts';

const Env = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8787),
  SIM_TIME_SCALE: z.coerce.number().min(0).default(1),
  GATEWAY_API_KEYS: z.string().default(''),
  /** Bundled into the Worker as its configuration, as `npm start` reads it. */
  GATEWAY_CONFIG: z.string().min(1).default('config/mangaassist.json'),
});

/** `npm run edge`: the Worker under the local runtime with the simulator and dynalite, until SIGINT or SIGTERM. */
async function main(): Promise<void> {
  const env = parseEnv(Env, process.env);
  const starting = startLocalEdge({
    port: env.PORT,
    simTimeScale: env.SIM_TIME_SCALE,
    configFile: env.GATEWAY_CONFIG,
    vars: env.GATEWAY_API_KEYS ? { GATEWAY_API_KEYS: env.GATEWAY_API_KEYS } : {},
  });
  // Installed before the runtime is up: a signal during start-up still stops what was started.
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping the Worker, the simulator and dynalite`);
    starting
      .then((edge) => edge.close())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          console.error(`shutdown failed: ${err instanceof Error ? err.message : String(err)}`);
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  const edge = await starting;
  console.log(`configuration: ${env.GATEWAY_CONFIG} (bundled into the Worker)`);
  console.log(
    `upstream: simulator at ${edge.simulator?.url}; observation log: dynalite at ${edge.dynamo.endpoint}, table ${edge.dynamo.table}`,
  );
  console.log(`edge gateway (Worker under workerd) listening on ${edge.url} (HTTP/1.1), started in ${edge.startupMs} ms`);
}

main().catch((err: unknown) => {
  console.error(`edge failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
