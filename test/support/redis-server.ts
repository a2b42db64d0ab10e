import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisClient, redisAnswers } from './redis-client.ts';
import { freePort } from '../../lib/node/free-port.ts';

/** The shared Redis of the build machines. */
export const SHARED_REDIS_PORT = 6379;


/**
 * Whether the shared Redis runs. When it does not, says why and how to get it; under `CI=true` that is a
 * failure, elsewhere the caller skips.
 */
export async function sharedRedisOrSkip(): Promise<boolean> {
  if (await redisAnswers(SHARED_REDIS_PORT)) return true;
  const why = `no Redis at 127.0.0.1:${SHARED_REDIS_PORT}: start one (e.g. \`redis-server\` or \`docker run -p 6379:6379 redis\`) to run these tests`;
  if (process.env.CI === 'true') throw new Error(why);
  console.warn(`skipping: ${why}`);
  return false;
}

/**
 * A redis-server this test owns, on its own port; it can be stopped and started again on that port.
 * Its data survives a stop (saved to a snapshot in a temporary directory on shutdown), as a managed Redis's would.
 */
export interface OwnRedis {
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** Whether a `redis-server` binary can be started; under `CI=true` its absence is a failure. */
export async function redisServerOrSkip(): Promise<boolean> {
  const found = await new Promise<boolean>((resolve) => {
    const child = spawn('redis-server', ['--version'], { stdio: 'ignore' });
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
  if (found) return true;
  const why = 'no redis-server binary on PATH: install Redis (e.g. `apt-get install redis-server`) to run the store outage test';
  if (process.env.CI === 'true') throw new Error(why);
  console.warn(`skipping: ${why}`);
  return false;
}

/** Starts a private redis-server (no periodic saves, no AOF) on a free port and waits until it answers. */
export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'own-redis-'));
  let child: ChildProcess | null = null;

  async function start(): Promise<void> {
    const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
    child = proc;
    const deadline = Date.now() + 5_000;
    while (!(await redisAnswers(port))) {
      if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server on port ${port} did not start`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async function stop(): Promise<void> {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    const client = new RedisClient(port);
    await client.send('SHUTDOWN', 'SAVE').catch(() => proc.kill('SIGTERM'));
    client.close();
    await exited;
  }

  await start();
  return { port, start, stop };
}
