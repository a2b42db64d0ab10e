import { listenDual } from '../lib/node/listen.ts';
import { createBareProxy, createBareUndiciProxy } from './bare-proxy.ts';
import { reportReady, requiredEnv, runChild } from './child-ready.ts';

/** Child entry: the bare pass-through proxy in front of `BENCH_UPSTREAM`. */
async function serveBareProxy(): Promise<void> {
  const app =
    process.env.BENCH_TRANSPORT === 'undici'
      ? createBareUndiciProxy(requiredEnv('BENCH_UPSTREAM'))
      : createBareProxy(requiredEnv('BENCH_UPSTREAM'));
  const server = await listenDual(app.fetch);
  reportReady(server.url, () => server.close(500));
}

runChild(serveBareProxy);
