import { join } from 'node:path';
import { request } from 'undici';
import type { PlannedRequest } from './load.ts';
import { startServer, type ServerProcess } from './server-process.ts';
import type { Mode, TargetName } from './settings.ts';
import { presign, type Credentials } from './sign.ts';
import { CONFIG_PATH, INTENT, modelPath, ROUTE, type Workload } from './workload.ts';

/** What every target is started with. */
export interface TargetContext {
  seed: number;
  credentials: Credentials;
  workload: Workload;
  /** Where the server processes write their CPU profiles (`<target>/simulator`, `<target>/proxy`), if profiling. */
  cpuProfileDir?: string | undefined;
}

/** How the load generator calls a target in one mode. */
export interface TargetEndpoint {
  path: string;
  request(vu: number, n: number): PlannedRequest;
}

/** A started target: the simulator plus, for `bare` and `gateway`, the proxy process in front of it. */
export interface RunningTarget {
  name: TargetName;
  origin: string;
  sim: ServerProcess;
  /** The proxy under test; null for `direct`. */
  proxy: ServerProcess | null;
  endpoint(mode: Mode): TargetEndpoint;
  stop(): Promise<void>;
}

/** A gateway request session spans this many requests of a virtual user. */
const SESSION_LENGTH = 4;

/** Starts a fresh simulator (same seed every time) and the target's proxy, each in its own process. */
export async function startTarget(name: TargetName, ctx: TargetContext): Promise<RunningTarget> {
  const keys = { BENCH_SIM_KEY_ID: ctx.credentials.accessKeyId, BENCH_SIM_SECRET: ctx.credentials.secretAccessKey };
  const profiling = (role: string): string[] => (ctx.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(ctx.cpuProfileDir, name, role)}`] : []);
  const sim = await startServer('simulator', 'serve-sim.ts', { ...keys, BENCH_SEED: String(ctx.seed) }, profiling('simulator'));
  let proxy: ServerProcess | null = null;
  let endpoints: Record<Mode, TargetEndpoint>;
  try {
    if (name === 'bare' || name === 'bare-fetch') {
      proxy = await startServer(`${name} proxy`, 'serve-bare.ts', { BENCH_UPSTREAM: sim.url, BENCH_TRANSPORT: name === 'bare' ? 'undici' : 'fetch' }, profiling('proxy'));
    }
    if (name === 'gateway') proxy = await startServer('gateway', 'serve-gateway.ts', { ...keys, BENCH_UPSTREAM: sim.url, BENCH_GATEWAY_CONFIG: CONFIG_PATH }, profiling('proxy'));
    endpoints = name === 'gateway' ? gatewayEndpoints(ctx.workload) : await upstreamEndpoints(sim.url, ctx);
  } catch (error) {
    await proxy?.stop();
    await sim.stop();
    throw error;
  }
  return {
    name,
    origin: proxy?.url ?? sim.url,
    sim,
    proxy,
    endpoint: (mode) => endpoints[mode],
    async stop() {
      await proxy?.stop();
      await sim.stop();
    },
  };
}

/** Sends one request per mode and fails unless it is answered 200 by the expected configuration. */
export async function checkTarget(target: RunningTarget, modes: readonly Mode[], expectedConfig: string): Promise<void> {
  for (const mode of modes) {
    const endpoint = target.endpoint(mode);
    const { headers, body } = endpoint.request(0, 0);
    const response = await request(`${target.origin}${endpoint.path}`, { method: 'POST', headers, body });
    const text = await response.body.text();
    if (response.statusCode !== 200) throw new Error(`${target.name} ${mode}: status ${response.statusCode}: ${text.slice(0, 300)}`);
    const config = response.headers['x-gateway-config'];
    if (target.name === 'gateway' && config !== expectedConfig) {
      throw new Error(`gateway routed to "${String(config)}", expected "${expectedConfig}": direct and bare would not do the same upstream work`);
    }
  }
}

function gatewayEndpoints(workload: Workload): Record<Mode, TargetEndpoint> {
  const bodies = workload.clientBodies;
  const endpoint = (mode: Mode): TargetEndpoint => ({
    path: modelPath(ROUTE, mode),
    request: (vu, n) => ({
      body: bodies[(vu + n) % bodies.length]!,
      headers: { 'content-type': 'application/json', 'x-intent': INTENT, 'x-session-id': `bench-${vu}-${Math.floor(n / SESSION_LENGTH)}` },
    }),
  });
  return { converse: endpoint('converse'), 'converse-stream': endpoint('converse-stream') };
}

/** Direct and bare send what the gateway would send upstream, signed once for the simulator. */
async function upstreamEndpoints(simUrl: string, ctx: TargetContext): Promise<Record<Mode, TargetEndpoint>> {
  const modelId = ctx.workload.config.upstream.modelId;
  const endpoint = async (mode: Mode): Promise<TargetEndpoint> => {
    const path = modelPath(modelId, mode);
    const planned = await Promise.all(
      ctx.workload.upstreamBodies.map(async (body) => ({ body, headers: { ...(await presign(simUrl, path, body, ctx.credentials)), 'x-intent': INTENT } })),
    );
    return { path, request: (vu, n) => planned[(vu + n) % planned.length]! };
  };
  return { converse: await endpoint('converse'), 'converse-stream': await endpoint('converse-stream') };
}
