import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { READY_PREFIX, type ProcessReport } from './child-ready.ts';

/** Root of this checkout: server processes start here unless told otherwise. */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const START_TIMEOUT_MS = 20_000;
/**
 * How long a server process may take to answer over IPC. Generous: after an open-loop cell that outran it, a
 * target can still be working through its queue, and its loop answers only between requests.
 */
const REPORT_TIMEOUT_MS = 15_000;
/** Preloaded into every server process: samples its event-loop delay and answers over IPC (see the file). */
export const LOOP_DELAY_MONITOR = new URL('./loop-delay-monitor.mjs', import.meta.url).href;

/** Flags that load code (the bench adds its own loaders): they end the runtime flags. */
const LOADER_FLAGS = /^--(import|require|loader|experimental-loader)(=|$)|^-r$/;

/**
 * The Node and V8 flags `npm start` gives node in the checkout at `root` (those between `node` and its first
 * non-flag argument or loader flag such as `--import`), e.g. `--max-semi-space-size=32`: every Node proxy under test
 * runs with them, so the bench measures the gateway as it ships and the other proxies on the same runtime settings.
 * A flag must carry its value after `=`; one whose value follows as its own word cannot be told from the entry point
 * and stops the bench with an error naming it.
 */
export function startScriptNodeFlags(root: string = REPO_ROOT): string[] {
  const { scripts } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts?: { start?: string } };
  const words = (scripts?.start ?? '').split(/\s+/);
  const node = words.findIndex((word) => word === 'node' || word.endsWith('/node'));
  if (node === -1) return [];
  const flags: string[] = [];
  for (const word of words.slice(node + 1)) {
    if (LOADER_FLAGS.test(word) || !word.startsWith('-')) break;
    if (!word.startsWith('--')) throw new Error(`npm start gives node ${word}: write its flags as --name or --name=value`);
    flags.push(word);
  }
  const next = words[node + 1 + flags.length];
  if (flags.length && next !== undefined && !next.startsWith('-') && !/\.[cm]?[jt]s$/.test(next)) {
    throw new Error(`npm start gives node ${flags[flags.length - 1]} ${next}: write a flag's value after =`);
  }
  return flags;
}

/** Event-loop delay of a server process since the last reset (`monitorEventLoopDelay`, 1 ms resolution), ms. */
export interface LoopDelay {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  /** Ticks sampled. */
  samples: number;
}

/** A server under test running in its own Node process. */
export interface ServerProcess {
  name: string;
  pid: number;
  url: string;
  /** Restarts the peak-RSS count from the current RSS (Linux); false when the platform cannot. */
  resetPeakRss(): boolean;
  /** Peak RSS in MB since start or the last reset. */
  peakRssMb(): Promise<number>;
  /** CPU time (user + system) used since start, ms. */
  cpuMs(): Promise<number>;
  /** Restarts the process's event-loop delay histogram. */
  resetLoopDelay(): void;
  /** Stops (true) or restarts (false) the sampling of the event-loop delay, while the process waits for its turn. */
  pauseLoopDelay(paused: boolean): void;
  /** Event-loop delay since start or the last reset; null when the process did not answer. */
  loopDelay(): Promise<LoopDelay | null>;
  /** What the process wrote to stdout and stderr. */
  output(): string;
  /** SIGTERM, then SIGKILL if it has not exited after a few seconds. */
  stop(): Promise<void>;
}

/**
 * Spawns `node [nodeArgs] --import tsx --import <loop-delay monitor> bench/<entry>` in `root` (this checkout unless
 * given) and waits for the URL it announces.
 */
export async function startServer(
  name: string,
  entry: string,
  env: Record<string, string>,
  nodeArgs: string[] = [],
  root: string = REPO_ROOT,
): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', '--import', LOOP_DELAY_MONITOR, `bench/${entry}`], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = await readyUrl(
    name,
    child,
    (chunk) => (output += chunk),
    () => output,
  );
  const pid = child.pid!;
  return {
    name,
    pid,
    url,
    resetPeakRss: () => resetPeak(pid),
    peakRssMb: async () => (await peakRssKb(child)) / 1024,
    cpuMs: async () => (await askReport(child)).cpuMicros / 1000,
    resetLoopDelay: () => resetLoopDelay(child),
    pauseLoopDelay: (paused) => pauseLoopDelay(child, paused),
    loopDelay: () => loopDelayOf(child),
    output: () => output,
    stop: () => stopChild(child),
  };
}

function readyUrl(name: string, child: ChildProcess, append: (text: string) => void, output: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    let line = '';
    const timer = setTimeout(() => fail(new Error(`${name} did not start within ${START_TIMEOUT_MS} ms:\n${output()}`)), START_TIMEOUT_MS);
    const onExit = (code: number | null): void => fail(new Error(`${name} exited with ${code} before starting:\n${output()}`));
    function fail(error: Error): void {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    }
    child.once('exit', onExit);
    child.stdout?.on('data', function onData(chunk: Buffer) {
      const text = chunk.toString();
      append(text);
      line += text;
      const found = line.split('\n').find((l) => l.startsWith(READY_PREFIX));
      if (!found) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      child.stdout?.off('data', onData);
      child.stdout?.on('data', (more: Buffer) => append(more.toString()));
      resolve(found.slice(READY_PREFIX.length).trim());
    });
  });
}

/** Restarts the kernel's peak-RSS count of a process (Linux); false when the platform cannot. */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** VmHWM from /proc where there is one; otherwise the child's own getrusage peak over IPC. */
async function peakRssKb(child: ChildProcess): Promise<number> {
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
    if (match) return Number(match[1]);
  } catch {
    // Not Linux: ask the process.
  }
  return (await askReport(child)).peakRssKb;
}

function askReport(child: ChildProcess): Promise<ProcessReport> {
  return ask(child, 'report', (message) =>
    isRecord(message) && typeof message.cpuMicros === 'number' ? (message as unknown as ProcessReport) : null,
  );
}

/** Restarts the event-loop delay histogram of a process started with the monitor preloaded (no answer expected). */
export function resetLoopDelay(child: ChildProcess): void {
  if (child.connected) child.send('loop-delay-reset');
}

/** Stops or restarts the event-loop delay sampling of a process started with the monitor preloaded (no answer expected). */
export function pauseLoopDelay(child: ChildProcess, paused: boolean): void {
  if (child.connected) child.send(paused ? 'loop-delay-pause' : 'loop-delay-resume');
}

/** The event-loop delay a process started with the monitor preloaded has sampled; null when it does not answer. */
export async function loopDelayOf(child: ChildProcess): Promise<LoopDelay | null> {
  if (!child.connected) return null;
  try {
    return await ask(child, 'loop-delay', (message) =>
      isRecord(message) && isRecord(message.loopDelay) ? (message.loopDelay as unknown as LoopDelay) : null,
    );
  } catch {
    return null;
  }
}

/** Sends `request` over IPC and resolves with the first message `accept` takes (other answers are left alone). */
function ask<T>(child: ChildProcess, request: string, accept: (message: unknown) => T | null): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage);
      reject(new Error(`no answer to "${request}" from the server process`));
    }, REPORT_TIMEOUT_MS);
    function onMessage(message: unknown): void {
      const accepted = accept(message);
      if (accepted === null) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(accepted);
    }
    child.on('message', onMessage);
    child.send(request);
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** SIGTERM, then SIGKILL after 5 s. */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
