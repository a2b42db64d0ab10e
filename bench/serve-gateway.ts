import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseGatewayConfig } from '../gateway/config/load.ts';
import type { GatewayConfig } from '../schema/config.ts';
import { startNodeGateway } from '../gateway/node.ts';
import { withChatRoute } from './chat-workload.ts';
import { reportReady, requiredEnv, runChild } from './child-ready.ts';

/**
 * Child entry: the real Node gateway (SQLite sink in a fresh temporary directory, process metrics on), with the
 * shipped configuration plus the chat route whose OpenAI-compatible configuration calls the simulator.
 */
async function serveGateway(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-gateway-'));
  const gateway = await startNodeGateway({
    config: benchConfig(requiredEnv('BENCH_GATEWAY_CONFIG'), requiredEnv('BENCH_UPSTREAM')),
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

function benchConfig(path: string, simUrl: string): GatewayConfig {
  const raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  return parseGatewayConfig(withChatRoute(raw, simUrl), `${path} plus the bench's chat route`);
}

runChild(serveGateway);
