import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnectionLimits } from '../../lib/node/connection-limits.ts';
import { startSimulator } from '../../simulator/server.ts';
import type { RecordStore } from '../../stores/observations/interface.ts';
import type { MemoryObservationSink } from '../../stores/observations/memory.ts';
import { loadGatewayConfig } from '../../gateway/config/load.ts';
import { startNodeGateway } from '../../gateway/node.ts';
import type { GatewayConfig } from '../../schema/config.ts';
import type { FallbackPolicy } from '../../gateway/fallback/policy.ts';
import type { Throttling } from '../../simulator/profiles.ts';

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
  shutdownDelayMs?: number;
  /** Deadlines for idle client connections and the connection cap (small ones in tests). */
  connectionLimits?: Partial<ConnectionLimits>;
  /** Shadow traffic budget (`SHADOW_MAX_CONCURRENCY`, `SHADOW_MAX_BODY_BYTES`). */
  shadow?: { maxConcurrency?: number; maxBodyBytes?: number };
  /** Simulator models that throttle on purpose (their first calls, or a seeded share). */
  throttling?: Record<string, Throttling>;
  /** The gateway's fallback policy (defaults when absent). */
  fallback?: FallbackPolicy;
}

/** A fresh temporary directory. */
export function tempDir(prefix = 'gw-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A simulator and a gateway in this process, both on loopback ports. */
export async function startStack(options: TestStackOptions = {}) {
  const sim = await startSimulator({
    seed: 7,
    timeScale: options.timeScale ?? 0,
    credentials: SIM_CREDENTIALS,
    throttling: options.throttling,
  });
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
    shutdownDelayMs: options.shutdownDelayMs,
    connectionLimits: options.connectionLimits,
    shadow: options.shadow,
    fallback: options.fallback,
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

/** A gateway process started by `spawnGateway`. */
export interface SpawnedGateway {
  url: string;
  /** The process started: the gateway itself, or npm with `viaNpm`. */
  child: ChildProcess;
  output: () => string;
  /** Resolves with the first match of `pattern` in the output (already printed or still to come). */
  waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<RegExpExecArray>;
}

export interface SpawnOptions {
  /** Runs `npm start` (npm, its shell and the gateway) instead of the entry point itself. */
  viaNpm?: boolean;
  /** Runs `npm run <script>` instead (as `viaNpm`, in its own process group); `listening` must then match its line. */
  npmScript?: string;
  /** The line that says the process is up, its first group the URL; the Node gateway's by default. */
  listening?: RegExp;
  /** How long to wait for the listening line (default 15 s; tests that start several processes on a busy machine wait longer). */
  startTimeoutMs?: number;
}

/**
 * Starts `npm start`'s entry point as its own process and waits for its listening line. The deregistration delay is
 * 0 unless `env` sets `SHUTDOWN_DELAY_MS`, so tests that only stop the process do not wait for it.
 */
export async function spawnGateway(env: Record<string, string>, options: SpawnOptions = {}): Promise<SpawnedGateway> {
  const viaNpm = options.viaNpm || options.npmScript !== undefined;
  const [command, args] = options.npmScript
    ? ['npm', ['run', options.npmScript]]
    : options.viaNpm
      ? ['npm', ['start']]
      : [process.execPath, ['--import', 'tsx', 'gateway/main.ts']];
  const child = spawn(command, args, {
    env: { ...process.env, PORT: '0', DATA_DIR: tempDir(), SHUTDOWN_DELAY_MS: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so a test can end npm and everything it started (see `killGroup`).
    detached: viaNpm,
  });
  let output = '';
  let exitCode: number | null | undefined;
  const waiters = new Set<() => void>();
  const onData = (d: Buffer): void => {
    output += d.toString();
    for (const check of waiters) check();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  // 'close' comes after the last output, so a waiter that fails on it has seen everything printed.
  child.once('close', (code) => {
    exitCode = code;
    for (const check of waiters) check();
  });
  const waitFor = (pattern: RegExp, timeoutMs = 15_000): Promise<RegExpExecArray> =>
    new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      const check = (): void => {
        const m = pattern.exec(output);
        if (m || exitCode !== undefined) done();
        if (m) resolve(m);
        else if (exitCode !== undefined) reject(new Error(`gateway exited with ${exitCode} before printing ${pattern}:\n${output}`));
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${output}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  const listening = await waitFor(options.listening ?? /gateway listening on (http:\/\/\S+)/, options.startTimeoutMs).catch(
    (err: unknown) => {
      // A process that did not come up is not left behind.
      if (viaNpm) killGroup(child);
      else child.kill('SIGKILL');
      throw err;
    },
  );
  return { url: listening[1]!, child, output: () => output, waitFor };
}

/** SIGKILLs a detached child's whole process group (npm and what it started); nothing when it is gone. */
export function killGroup(child: ChildProcess): void {
  try {
    if (child.pid) process.kill(-child.pid, 'SIGKILL');
  } catch {
    // The group is gone already.
  }
}

/** Sends SIGTERM and waits for the process to exit. */
export function stopProcess(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}
