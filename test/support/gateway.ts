import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnectionLimits } from '../../lib/node/connection-limits.ts';
import { startSimulator } from '../../simulator/server.ts';
import type { RecordStore } from '../../stores/observations/interface.ts';
import { MemoryObservationSink } from '../../stores/observations/memory.ts';
import { loadGatewayConfig } from '../../gateway/config/load.ts';
import { startNodeGateway } from '../../gateway/node.ts';
import type { GatewayConfig } from '../../schema/config.ts';

export const SIM_CREDENTIALS = { accessKeyId: 'AKIDTESTGATEWAY', secretAccessKey: 'test-secret-key-for-the-simulator' };

export interface TestStackOptions {
  timeScale?: number;
  apiKeys?: string[];
  config?: GatewayConfig;
  /** A configuration that needs the simulator's URL (e.g. an OpenAI-compatible upstream pointing at it). */
  configFor?: (simUrl: string) => GatewayConfig;
  upstreamTimeoutMs?: number;
  maxBodyBytes?: number;
  /** Use the SQLite sink in a fresh temporary directory instead of memory. */
  durable?: boolean;
  /** A second observation store beside SQLite (needs `durable`). */
  observationCopy?: RecordStore;
  shutdownGraceMs?: number;
  /** Deadlines for idle client connections and the connection cap (small ones in tests). */
  connectionLimits?: Partial<ConnectionLimits>;
}

/** A fresh temporary directory. */
export function tempDir(prefix = 'gw-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A simulator and a gateway in this process, both on loopback ports. */
export async function startStack(options: TestStackOptions = {}) {
  const sim = await startSimulator({ seed: 7, timeScale: options.timeScale ?? 0, credentials: SIM_CREDENTIALS });
  const config = options.configFor?.(sim.url) ?? options.config ?? loadGatewayConfig('config/mangaassist.json');
  const dataDir = options.durable ? tempDir() : null;
  const gateway = await startNodeGateway({
    config,
    bedrock: { endpoint: sim.url, region: 'us-east-1', credentials: SIM_CREDENTIALS, timeoutMs: options.upstreamTimeoutMs ?? 10_000 },
    apiKeys: options.apiKeys,
    dataDir,
    observationCopy: options.observationCopy,
    maxBodyBytes: options.maxBodyBytes,
    shutdownGraceMs: options.shutdownGraceMs ?? 1_000,
    connectionLimits: options.connectionLimits,
    defaultMetrics: false,
  });
  return {
    url: gateway.url,
    sim,
    gateway,
    dataDir,
    /** The in-memory sink (only when not `durable`). */
    sink: gateway.sink as MemoryObservationSink,
    config,
    async close() {
      await gateway.shutdown();
      await sim.close();
    },
  };
}

/** Starts `npm start`'s entry point as its own process and waits for its listening line. */
export async function spawnGateway(env: Record<string, string>): Promise<{ url: string; child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'gateway/main.ts'], {
    env: { ...process.env, PORT: '0', DATA_DIR: tempDir(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${output}`)), 15_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      const m = /gateway listening on (http:\/\/\S+)/.exec(output);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with ${code}:\n${output}`));
    });
  });
  return { url, child, output: () => output };
}

/** Sends SIGTERM and waits for the process to exit. */
export function stopProcess(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}
