import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { READY_PREFIX, type ProcessReport } from './child-ready.ts';

/** Root of this checkout: server processes start here unless told otherwise. */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const START_TIMEOUT_MS = 20_000;

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
  /** What the process wrote to stdout and stderr. */
  output(): string;
  /** SIGTERM, then SIGKILL if it has not exited after a few seconds. */
  stop(): Promise<void>;
}

/**
 * Spawns `node [nodeArgs] --import tsx bench/<entry>` in `root` (this checkout unless given) and waits for the
 * URL it announces.
 */
export async function startServer(
  name: string,
  entry: string,
  env: Record<string, string>,
  nodeArgs: string[] = [],
  root: string = REPO_ROOT,
): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', `bench/${entry}`], {
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
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no report from the server process')), 2_000);
    child.once('message', (message: ProcessReport) => {
      clearTimeout(timer);
      resolve(message);
    });
    child.send('report');
  });
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
