import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadGatewayConfig } from '../gateway/config/load.ts';
import { startNodeGateway } from '../gateway/node.ts';
import { reportReady, requiredEnv, runChild } from './child-ready.ts';

/** Child entry: the real Node gateway (SQLite sink in a fresh temporary directory, process metrics on). */
async function serveGateway(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-gateway-'));
  const gateway = await startNodeGateway({
    config: loadGatewayConfig(requiredEnv('BENCH_GATEWAY_CONFIG')),
    bedrock: {
      endpoint: requiredEnv('BENCH_UPSTREAM'),
      region: 'us-east-1',
      credentials: { accessKeyId: requiredEnv('BENCH_SIM_KEY_ID'), secretAccessKey: requiredEnv('BENCH_SIM_SECRET') },
    },
    dataDir,
    defaultMetrics: true,
    shutdownGraceMs: 1_000,
    log: (line) => console.error(line),
  });
  reportReady(gateway.url, async () => {
    await gateway.shutdown();
    rmSync(dataDir, { recursive: true, force: true });
  });
}

runChild(serveGateway);
