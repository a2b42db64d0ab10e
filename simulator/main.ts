import { startSimulator } from './server.ts';

/** Starts the simulator from the environment: SIM_PORT, SIM_HOST, SIM_SEED, SIM_TIME_SCALE, SIM_ACCESS_KEY_ID / SIM_SECRET_ACCESS_KEY, SIM_API_KEY, SIM_RANDOM_FAULTS (0 turns the profiles' error rates off). */
async function main(): Promise<void> {
  const env = process.env;
  const keyId = env.SIM_ACCESS_KEY_ID;
  const secret = env.SIM_SECRET_ACCESS_KEY;
  if (Boolean(keyId) !== Boolean(secret)) throw new Error('set both SIM_ACCESS_KEY_ID and SIM_SECRET_ACCESS_KEY, or neither');
  const sim = await startSimulator({
    port: numberFrom(env.SIM_PORT, 8090),
    host: env.SIM_HOST || '127.0.0.1',
    seed: env.SIM_SEED || 1,
    timeScale: numberFrom(env.SIM_TIME_SCALE, 1),
    randomFaults: env.SIM_RANDOM_FAULTS !== '0',
    ...(keyId && secret ? { credentials: { accessKeyId: keyId, secretAccessKey: secret } } : {}),
    ...(env.SIM_API_KEY ? { apiKey: env.SIM_API_KEY } : {}),
  });
  console.log(`bedrock simulator listening on ${sim.url}`);
  const stop = (): void => {
    void sim.close(1000).then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function numberFrom(text: string | undefined, fallback: number): number {
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value)) throw new Error(`not a number: ${text}`);
  return value;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
