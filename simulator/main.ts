import { EnvError } from '../schema/env.ts';
import { readSimulatorEnv } from './env.ts';
import { startSimulator } from './server.ts';

/** Starts the simulator from the environment (see `readSimulatorEnv`); a bad variable stops it with exit code 2. */
async function main(): Promise<void> {
  const settings = readSimulatorEnv();
  const sim = await startSimulator({ port: settings.port, host: settings.host, ...settings.options });
  console.log(`bedrock simulator listening on ${sim.url}`);
  const stop = (): void => {
    void sim.close(1000).then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(`simulator: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(error instanceof EnvError ? 2 : 1);
});
