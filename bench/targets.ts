import { join, relative } from 'node:path';
import { request } from 'undici';
import { upstreamModelOf } from '../schema/config.ts';
import { CHAT_CONFIG_ID, CHAT_KEY_ENV } from './chat-workload.ts';
import type { PlannedRequest } from './load.ts';
import { startPortkey } from './portkey.ts';
import { REPO_ROOT, startScriptNodeFlags, startServer, type ServerProcess } from './server-process.ts';
import { TARGET_MODES, type Mode, type TargetName } from './settings.ts';
import { presign, type Credentials } from './sign.ts';
import { CONFIG_PATH, INTENT, modelPath, ROUTE, type Workload } from './workload.ts';

/** What every target is started with. */
export interface TargetContext {
  seed: number;
  credentials: Credentials;
  workload: Workload;
  /** Where the server processes write their CPU profiles (`<target>/simulator`, `<target>/proxy`), if profiling. */
  cpuProfileDir?: string | undefined;
  /** Checkout of the revision the `baseline` target runs (see `checkOutBaseline`). */
  baselineDir?: string | undefined;
}

/** How the load generator calls a target in one mode. */
export interface TargetEndpoint {
  path: string;
  request(vu: number, n: number): PlannedRequest;
}

/** A started target: the simulator plus, for every target but `direct`, the proxy process in front of it. */
export interface RunningTarget {
  name: TargetName;
  origin: string;
  sim: ServerProcess;
  /** The proxy under test; null for `direct`. */
  proxy: ServerProcess | null;
  /** The endpoint of a mode the target serves (see `TARGET_MODES`). */
  endpoint(mode: Mode): TargetEndpoint;
  stop(): Promise<void>;
}

/** A gateway request session spans this many requests of a virtual user. */
const SESSION_LENGTH = 4;
const CHAT_PATH = '/v1/chat/completions';

/** Starts a fresh simulator (same seed every time) and the target's proxy, each in its own process. */
export async function startTarget(name: TargetName, ctx: TargetContext): Promise<RunningTarget> {
  const keys = {
    BENCH_SIM_KEY_ID: ctx.credentials.accessKeyId,
    BENCH_SIM_SECRET: ctx.credentials.secretAccessKey,
    [CHAT_KEY_ENV]: chatKey(ctx),
  };
  const profiling = (role: string): string[] =>
    ctx.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(ctx.cpuProfileDir, name, role)}`] : [];
  // Every Node proxy runs with the flags `npm start` gives node (the baseline with those of its own checkout).
  const proxyArgs = [...startScriptNodeFlags(name === 'baseline' && ctx.baselineDir ? ctx.baselineDir : REPO_ROOT), ...profiling('proxy')];
  const sim = await startServer('simulator', 'serve-sim.ts', { ...keys, BENCH_SEED: String(ctx.seed) }, profiling('simulator'));
  let proxy: ServerProcess | null = null;
  let endpoints: Partial<Record<Mode, TargetEndpoint>>;
  try {
    if (name === 'bare' || name === 'bare-fetch') {
      proxy = await startServer(
        `${name} proxy`,
        'serve-bare.ts',
        { BENCH_UPSTREAM: sim.url, BENCH_TRANSPORT: name === 'bare' ? 'undici' : 'fetch' },
        proxyArgs,
      );
    }
    if (name === 'gateway')
      proxy = await startServer(
        'gateway',
        'serve-gateway.ts',
        { ...keys, BENCH_UPSTREAM: sim.url, BENCH_GATEWAY_CONFIG: CONFIG_PATH },
        proxyArgs,
      );
    if (name === 'baseline') {
      if (!ctx.baselineDir) throw new Error('the baseline target needs a checkout of BENCH_BASELINE_REF');
      const config = join(ctx.baselineDir, relative(REPO_ROOT, CONFIG_PATH));
      proxy = await startServer(
        'baseline gateway',
        'serve-gateway.ts',
        { ...keys, BENCH_UPSTREAM: sim.url, BENCH_GATEWAY_CONFIG: config },
        proxyArgs,
        ctx.baselineDir,
      );
    }
    if (name === 'portkey') proxy = await startPortkey(proxyArgs);
    if (name === 'worker') proxy = await startServer('worker', 'serve-worker.ts', { ...keys, BENCH_UPSTREAM: sim.url }, profiling('proxy'));
    endpoints = isGateway(name)
      ? gatewayEndpoints(ctx.workload)
      : name === 'portkey'
        ? portkeyEndpoints(sim.url, ctx)
        : await upstreamEndpoints(sim.url, ctx);
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
    endpoint(mode) {
      const endpoint = endpoints[mode];
      if (!endpoint) throw new Error(`${name} does not serve ${mode}`);
      return endpoint;
    },
    async stop() {
      await proxy?.stop();
      await sim.stop();
    },
  };
}

/**
 * Sends one request per mode the target serves and fails unless it is answered 200 (by the expected
 * configuration, for the gateway). Returns the modes to measure: the gateway's chat modes are skipped, with a
 * message, while it has no `/v1/chat/completions` route (404).
 */
export async function checkTarget(
  target: RunningTarget,
  modes: readonly Mode[],
  expectedConfig: string,
  log: (line: string) => void = () => {},
): Promise<Mode[]> {
  const served: Mode[] = [];
  for (const mode of modes.filter((m) => TARGET_MODES[target.name].includes(m))) {
    const endpoint = target.endpoint(mode);
    const { headers, body } = endpoint.request(0, 0);
    const response = await request(`${target.origin}${endpoint.path}`, { method: 'POST', headers, body });
    const text = await response.body.text();
    if (isGateway(target.name) && isChat(mode) && response.statusCode === 404) {
      log(`gateway ${mode}: skipped, the gateway answered 404 on ${endpoint.path} (no Chat Completions route yet): ${text.slice(0, 200)}`);
      continue;
    }
    if (response.statusCode !== 200) throw new Error(`${target.name} ${mode}: status ${response.statusCode}: ${text.slice(0, 300)}`);
    const config = response.headers['x-gateway-config'];
    const expected = isChat(mode) ? CHAT_CONFIG_ID : expectedConfig;
    if (isGateway(target.name) && config !== expected) {
      throw new Error(`gateway routed to "${String(config)}", expected "${expected}": direct and bare would not do the same upstream work`);
    }
    served.push(mode);
  }
  return served;
}

/** The simulator's bearer key for Chat Completions: derived from the run's random secret. */
function chatKey(ctx: TargetContext): string {
  return `sk-bench-${ctx.credentials.secretAccessKey.replace(/[^A-Za-z0-9]/g, '')}`;
}

/** The gateway under test, the same gateway at the baseline revision, or the gateway as a Worker. */
function isGateway(name: TargetName): boolean {
  return name === 'gateway' || name === 'baseline' || name === 'worker';
}

function isChat(mode: Mode): mode is 'chat' | 'chat-stream' {
  return mode === 'chat' || mode === 'chat-stream';
}

function cycle(
  bodies: readonly Buffer[],
  headers: (vu: number, n: number) => Record<string, string>,
): (vu: number, n: number) => PlannedRequest {
  return (vu, n) => ({ body: bodies[(vu + n) % bodies.length]!, headers: headers(vu, n) });
}

function gatewayEndpoints(workload: Workload): Record<Mode, TargetEndpoint> {
  const headers = (vu: number, n: number): Record<string, string> => ({
    'content-type': 'application/json',
    'x-intent': INTENT,
    'x-session-id': `bench-${vu}-${Math.floor(n / SESSION_LENGTH)}`,
  });
  const converse = (mode: 'converse' | 'converse-stream'): TargetEndpoint => ({
    path: modelPath(ROUTE, mode),
    request: cycle(workload.clientBodies, headers),
  });
  const chat = (mode: 'chat' | 'chat-stream'): TargetEndpoint => ({ path: CHAT_PATH, request: cycle(workload.chat[mode].client, headers) });
  return {
    converse: converse('converse'),
    'converse-stream': converse('converse-stream'),
    chat: chat('chat'),
    'chat-stream': chat('chat-stream'),
  };
}

/** Direct and bare send what the gateway would send upstream: Bedrock bodies signed once for the simulator. */
async function upstreamEndpoints(simUrl: string, ctx: TargetContext): Promise<Record<Mode, TargetEndpoint>> {
  const modelId = upstreamModelOf(ctx.workload.config.upstream);
  const converse = async (mode: 'converse' | 'converse-stream'): Promise<TargetEndpoint> => {
    const path = modelPath(modelId, mode);
    const planned = await Promise.all(
      ctx.workload.upstreamBodies.map(async (body) => ({
        body,
        headers: { ...(await presign(simUrl, path, body, ctx.credentials)), 'x-intent': INTENT },
      })),
    );
    return { path, request: (vu, n) => planned[(vu + n) % planned.length]! };
  };
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${chatKey(ctx)}`, 'x-intent': INTENT };
  const chat = (mode: 'chat' | 'chat-stream'): TargetEndpoint => ({
    path: CHAT_PATH,
    request: cycle(ctx.workload.chat[mode].upstream, () => headers),
  });
  return {
    converse: await converse('converse'),
    'converse-stream': await converse('converse-stream'),
    chat: chat('chat'),
    'chat-stream': chat('chat-stream'),
  };
}

/** Portkey gets the upstream bodies and reaches the simulator as a custom OpenAI host. */
function portkeyEndpoints(simUrl: string, ctx: TargetContext): Partial<Record<Mode, TargetEndpoint>> {
  const headers = {
    'content-type': 'application/json',
    authorization: `Bearer ${chatKey(ctx)}`,
    'x-portkey-provider': 'openai',
    'x-portkey-custom-host': `${simUrl}/v1`,
    'x-intent': INTENT,
  };
  const chat = (mode: 'chat' | 'chat-stream'): TargetEndpoint => ({
    path: CHAT_PATH,
    request: cycle(ctx.workload.chat[mode].upstream, () => headers),
  });
  return { chat: chat('chat'), 'chat-stream': chat('chat-stream') };
}
