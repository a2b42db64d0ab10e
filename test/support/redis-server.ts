import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisClient, redisAnswers } from './redis-client.ts';
import { freePort } from '../../lib/node/free-port.ts';
import { serviceMissing } from './services.ts';

/** The shared Redis of the build machines. */
export const SHARED_REDIS_PORT = 6379;

/**
 * Null when the shared Redis answers PING; otherwise why not (printed, and the caller skips), or a thrown
 * error under `CI=true`.
 */
export async function sharedRedisMissing(): Promise<string | null> {
  const problem = (await redisAnswers(SHARED_REDIS_PORT)) ? null : `no Redis at 127.0.0.1:${SHARED_REDIS_PORT}`;
  return serviceMissing('the Redis tests', problem, 'start one (`redis-server`, or `docker run -p 6379:6379 redis`)');
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

/** Null when a `redis-server` binary starts; otherwise why not (printed), or a thrown error under `CI=true`. */
export async function redisServerMissing(): Promise<string | null> {
  const found = await new Promise<boolean>((resolve) => {
    const child = spawn('redis-server', ['--version'], { stdio: 'ignore' });
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
  const problem = found ? null : 'no redis-server binary on PATH';
  return serviceMissing('the Redis outage tests', problem, 'install Redis (`apt-get install redis-server`)');
}

/** Starts a private redis-server (no periodic saves, no AOF) on a free port and waits until it answers. */
export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'own-redis-'));
  let child: ChildProcess | null = null;

  async function start(): Promise<void> {
    const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
      stdio: 'ignore',
    });
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
