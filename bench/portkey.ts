import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import {
  LOOP_DELAY_MONITOR,
  loopDelayOf,
  pauseLoopDelay,
  resetLoopDelay,
  resetPeak,
  stopChild,
  type ServerProcess,
} from './server-process.ts';
import { freePort } from '../lib/node/free-port.ts';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const ENTRY = 'node_modules/@portkey-ai/gateway/build/start-server.js';
/** Works around Portkey's streaming bug on Node (see the file); without it every streamed answer is a 500. */
const RESPONSE_FIX = new URL('./portkey-response-fix.mjs', import.meta.url).href;
const START_TIMEOUT_MS = 20_000;
/** The installed `@portkey-ai/gateway` version. */
export const PORTKEY_VERSION = (createRequire(import.meta.url)('@portkey-ai/gateway/package.json') as { version: string }).version;
const OUTPUT_TAIL = 8_192;
/** Linux clock ticks per second (`getconf CLK_TCK`), the unit of /proc/<pid>/stat CPU times. */
const CLOCK_TICKS = 100;

/**
 * Starts the Portkey AI gateway as published on npm (`start-server.js --port=N --headless`, offline) in its
 * own Node process, with `portkey-response-fix.mjs` and the event-loop delay monitor preloaded, and waits until
 * `GET /` answers. CPU time and peak RSS are read from /proc (Linux), since the process is not ours to instrument.
 */
export async function startPortkey(nodeArgs: string[] = []): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [...nodeArgs, '--import', RESPONSE_FIX, '--import', LOOP_DELAY_MONITOR, ENTRY, `--port=${port}`, '--headless'],
    { cwd: REPO_ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] },
  );
  let output = '';
  const append = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-OUTPUT_TAIL);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(url, () => child.exitCode !== null);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`portkey did not start: ${(error as Error).message}\n${output}`);
  }
  const pid = child.pid!;
  return {
    name: 'portkey',
    pid,
    url,
    resetPeakRss: () => resetPeak(pid),
    peakRssMb: async () => procStatusKb(pid, 'VmHWM') / 1024,
    cpuMs: async () => procCpuMs(pid),
    resetLoopDelay: () => resetLoopDelay(child),
    pauseLoopDelay: (paused) => pauseLoopDelay(child, paused),
    loopDelay: () => loopDelayOf(child),
    output: () => output,
    stop: () => stopChild(child),
  };
}

async function waitForHttp(url: string, exited: () => boolean): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited()) throw new Error('the process exited');
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no answer on ${url} within ${START_TIMEOUT_MS} ms`);
}

function procStatusKb(pid: number, field: string): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** User + system CPU time of a process from /proc/<pid>/stat (fields 14 and 15, in clock ticks); 0 elsewhere. */
function procCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}
