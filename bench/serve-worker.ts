import { readdirSync, readFileSync } from 'node:fs';
import { startLocalEdge } from '../gateway/edge/local.ts';
import { reportReady, requiredEnv, runChild } from './child-ready.ts';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/**
 * Child entry: the gateway as a Cloudflare Worker under local workerd (`startLocalEdge`: the bundled configuration,
 * SigV4 with the simulator's key pair, observations to dynalite in this process). The CPU time it reports is the
 * workerd process's alone, so neither dynalite (a stand-in for DynamoDB) nor this process is counted.
 */
async function serveWorker(): Promise<void> {
  const edge = await startLocalEdge({
    port: 0,
    upstreamUrl: requiredEnv('BENCH_UPSTREAM'),
    credentials: { accessKeyId: requiredEnv('BENCH_SIM_KEY_ID'), secretAccessKey: requiredEnv('BENCH_SIM_SECRET') },
  });
  const workerd = workerdPids();
  if (workerd.length === 0) throw new Error('no workerd process found under this process');
  reportReady(
    edge.url,
    () => edge.close(),
    () => workerd.reduce((sum, pid) => sum + cpuMicrosOf(pid), 0),
  );
}

/** Processes named workerd among this process's descendants (Linux /proc). */
function workerdPids(): number[] {
  const parents = new Map<number, number>();
  const names = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = statOf(Number(entry));
    if (!stat) continue;
    parents.set(Number(entry), Number(stat.fields[1]));
    names.set(Number(entry), stat.name);
  }
  const isDescendant = (pid: number): boolean => {
    for (let p = parents.get(pid); p !== undefined && p > 1; p = parents.get(p)) if (p === process.pid) return true;
    return false;
  };
  return [...names].filter(([pid, name]) => name === 'workerd' && isDescendant(pid)).map(([pid]) => pid);
}

/** The name and the fields after it (state first) of /proc/<pid>/stat, or null once the process is gone. */
function statOf(pid: number): { name: string; fields: string[] } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = text.lastIndexOf(')');
    return { name: text.slice(text.indexOf('(') + 1, close), fields: text.slice(close + 2).split(' ') };
  } catch {
    return null;
  }
}

/** User plus system CPU time of a process, microseconds (utime and stime are fields 14 and 15 of stat). */
function cpuMicrosOf(pid: number): number {
  const stat = statOf(pid);
  if (!stat) return 0;
  return ((Number(stat.fields[11]) + Number(stat.fields[12])) * 1_000_000) / TICKS_PER_SECOND;
}

runChild(serveWorker);
