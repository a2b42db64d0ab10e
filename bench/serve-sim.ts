import { startSimulator } from '../simulator/server.ts';
import { reportReady, requiredEnv, runChild } from './child-ready.ts';

/** Child entry: the simulator at zero delay, profile faults off, checking SigV4 for the bench's key. */
async function serveSimulator(): Promise<void> {
  const sim = await startSimulator({
    seed: Number(requiredEnv('BENCH_SEED')),
    timeScale: 0,
    randomFaults: false,
    maxLogEntries: 10_000,
    credentials: { accessKeyId: requiredEnv('BENCH_SIM_KEY_ID'), secretAccessKey: requiredEnv('BENCH_SIM_SECRET') },
  });
  reportReady(sim.url, () => sim.close(500));
}

runChild(serveSimulator);
