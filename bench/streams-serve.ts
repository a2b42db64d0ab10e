import { loadGatewayConfig } from '../gateway/config/load.ts';
import { startNodeGateway } from '../gateway/node.ts';
import { startSimulator } from '../simulator/server.ts';
import { reportReady, requiredEnv, runChild } from './child-ready.ts';
import { CONFIG_PATH } from './workload.ts';

/**
 * Child entry of `bench/streams.ts`: `STREAMS_ROLE=sim` starts the simulator with every streamed answer lasting
 * `STREAMS_DURATION_MS` (first token at once: time scale 0); `STREAMS_ROLE=gateway` the Node gateway (shipped
 * configuration, SQLite sink in `STREAMS_DATA_DIR`) with its client connection cap, its HTTP/2 streams per session and
 * its upstream pool (HTTP/1.1, one connection per open stream) all raised to `STREAMS_MAX_CONNECTIONS`.
 */
async function serve(): Promise<void> {
  const role = requiredEnv('STREAMS_ROLE');
  const maxConnections = Number(requiredEnv('STREAMS_MAX_CONNECTIONS'));
  const credentials = { accessKeyId: requiredEnv('BENCH_SIM_KEY_ID'), secretAccessKey: requiredEnv('BENCH_SIM_SECRET') };
  if (role === 'sim') {
    const sim = await startSimulator({
      seed: 42,
      timeScale: 0,
      streamDurationMs: Number(requiredEnv('STREAMS_DURATION_MS')),
      randomFaults: false,
      maxLogEntries: 1_000,
      credentials,
      connectionLimits: { maxConnections },
    });
    reportReady(sim.url, () => sim.close(500));
    return;
  }
  if (role !== 'gateway') throw new Error(`STREAMS_ROLE must be sim or gateway, got "${role}"`);
  const gateway = await startNodeGateway({
    config: loadGatewayConfig(CONFIG_PATH),
    bedrock: { endpoint: requiredEnv('BENCH_UPSTREAM'), region: 'us-east-1', credentials },
    dataDir: requiredEnv('STREAMS_DATA_DIR'),
    connectionLimits: { maxConnections, h2MaxStreams: maxConnections },
    upstreamHttp: { connections: maxConnections },
    defaultMetrics: true,
    shutdownGraceMs: 1_000,
    log: (line) => console.error(line),
  });
  reportReady(gateway.url, async () => {
    await gateway.shutdown();
  });
}

runChild(serve);
