import { startSimulator } from '../simulator/server.ts';
import { CHAT_KEY_ENV } from './chat-workload.ts';
import { reportReady, requiredEnv, runChild } from './child-ready.ts';

/** Child entry: the simulator at zero delay, profile faults off, checking SigV4 (Bedrock) and the bearer key (Chat Completions). */
async function serveSimulator(): Promise<void> {
  const sim = await startSimulator({
    seed: Number(requiredEnv('BENCH_SEED')),
    timeScale: 0,
    randomFaults: false,
    maxLogEntries: 10_000,
    credentials: { accessKeyId: requiredEnv('BENCH_SIM_KEY_ID'), secretAccessKey: requiredEnv('BENCH_SIM_SECRET') },
    apiKey: requiredEnv(CHAT_KEY_ENV),
  });
  reportReady(sim.url, () => sim.close(500));
}

runChild(serveSimulator);
