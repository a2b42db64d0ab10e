import { randomBytes } from 'node:crypto';
import type { SimulatorControl } from '../../simulator/control.ts';
import { startSimulator } from '../../simulator/server.ts';
import type { GatewayConfig } from '../../schema/config.ts';
import { loadGatewayConfig } from '../../stores/config/file.ts';
import { startNodeGateway } from '../../gateway/node.ts';

/** Options of the embedded stack. */
export interface EmbeddedStackOptions {
  /** The routing configuration the gateway serves, or the file to read it from. */
  config?: GatewayConfig;
  configPath?: string;
  seed?: number | string;
  /** Simulator time scale: 0 answers at once (latency figures near zero), 1 is real time. */
  timeScale?: number;
  /** Draw faults from the simulator profiles' error, throttle and timeout rates (default true). */
  randomFaults?: boolean;
}

/** A gateway and its simulator upstream running in this process. */
export interface EmbeddedStack {
  url: string;
  simulator: SimulatorControl;
  close(): Promise<void>;
}

/**
 * Part of the evaluator's composition root (the CLI, and tests that drive it): starts a simulator and a
 * gateway in front of it on free loopback ports, observations kept in memory.
 */
export async function startEmbeddedStack(options: EmbeddedStackOptions): Promise<EmbeddedStack> {
  const credentials = {
    accessKeyId: `SIM${randomBytes(8).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(24).toString('base64'),
  };
  const sim = await startSimulator({
    seed: options.seed ?? 1,
    timeScale: options.timeScale ?? 0,
    credentials,
    randomFaults: options.randomFaults ?? true,
  });
  const gateway = await startNodeGateway({
    config: options.config ?? loadGatewayConfig(options.configPath ?? 'config/mangaassist.json'),
    bedrock: { endpoint: sim.url, region: 'us-east-1', credentials, timeoutMs: 60_000 },
    dataDir: null,
    defaultMetrics: false,
  });
  return {
    url: gateway.url,
    simulator: sim.control,
    async close() {
      await gateway.shutdown();
      await sim.close();
    },
  };
}
