import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { AddressInfo, Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import type { Plugin } from 'esbuild';
import { loadGatewayConfig } from '../config/load.ts';
import { startSimulator, type RunningSimulator } from '../../simulator/server.ts';
import { dynamoObservationStore } from '../../stores/observations/dynamodb.ts';

/** Options of the local edge stack. */
export interface LocalEdgeOptions {
  /** Port of the Worker; 0 picks a free one. */
  port?: number;
  /** Extra Worker variables (strings), over the stack's own. */
  vars?: Record<string, string>;
  /** An upstream to use instead of starting the simulator (its URL; the Worker signs with the stack's key pair). */
  upstreamUrl?: string;
  /** Key pair the Worker signs upstream calls with (the upstream's); a fresh random pair by default. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Table of the observation log in dynalite. Default `manga_ab_tests`. */
  table?: string;
  /** Simulator time scale (0: no simulated latency). Default 1. */
  simTimeScale?: number;
  /** Configuration file bundled into the Worker instead of `config/mangaassist.json` (as `GATEWAY_CONFIG` for `npm start`). */
  configFile?: string;
}

/** A running local edge: the Worker under workerd, the simulator behind it and dynalite as the observation log. */
export interface LocalEdge {
  url: string;
  simulator: RunningSimulator | null;
  /** dynalite's endpoint and the table the Worker writes observations to. */
  dynamo: { endpoint: string; table: string };
  /** Credentials the Worker signs with (the simulator's pair; dynalite takes any). */
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Milliseconds from the call until the Worker answered its first request. */
  startupMs: number;
  close(): Promise<void>;
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

async function listenDynalite(): Promise<{ endpoint: string; close(): Promise<void> }> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 }) as Server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return { endpoint: `http://127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/**
 * Starts the edge data plane with no external service: the simulator (SigV4 checked), dynalite with the observation
 * table created, and `gateway/worker.ts` under the local Workers runtime (see `startWorkerd`).
 */
export async function startLocalEdge(options: LocalEdgeOptions = {}): Promise<LocalEdge> {
  const t0 = performance.now();
  // Checked before anything starts, so a bad file stops the start with the fields named.
  if (options.configFile) loadGatewayConfig(options.configFile);
  const credentials = options.credentials ?? {
    accessKeyId: `SIM${randomBytes(8).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(24).toString('base64'),
  };
  const table = options.table ?? 'manga_ab_tests';
  const simulator = options.upstreamUrl
    ? null
    : await startSimulator({ seed: 42, timeScale: options.simTimeScale ?? 1, randomFaults: false, credentials });
  const db = await listenDynalite();
  const client = new DynamoDBClient({ endpoint: db.endpoint, region: 'us-east-1', credentials });
  await dynamoObservationStore({ table, client, createTable: true }).probe();
  client.destroy();
  const vars: Record<string, string> = {
    BEDROCK_ENDPOINT: options.upstreamUrl ?? simulator!.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    DYNAMODB_ENDPOINT: db.endpoint,
    DYNAMODB_OBSERVATIONS_TABLE: table,
    ...options.vars,
  };
  const worker = await startWorkerd({ port: options.port ?? 0, vars, configFile: options.configFile });
  const url = worker.url;
  const health = await fetch(`${url}/healthz`);
  if (!health.ok) throw new Error(`the Worker answered /healthz with ${health.status}: ${await health.text()}`);
  return {
    url,
    simulator,
    dynamo: { endpoint: db.endpoint, table },
    credentials,
    startupMs: Math.round(performance.now() - t0),
    async close() {
      await worker.close();
      await simulator?.close(100);
      await db.close();
    },
  };
}

/** A Worker running under the local runtime. */
export interface RunningWorkerd {
  url: string;
  close(): Promise<void>;
}

/** An esbuild plugin that bundles `configFile` wherever the Worker imports `config/mangaassist.json`. */
function configFilePlugin(configFile: string): Plugin {
  const path = resolve(configFile);
  return {
    name: 'gateway-config-file',
    setup(build) {
      build.onResolve({ filter: /(^|\/)config\/mangaassist\.json$/ }, () => ({ path, namespace: 'gateway-config' }));
      build.onLoad({ filter: /.*/, namespace: 'gateway-config' }, () => ({ contents: readFileSync(path, 'utf8'), loader: 'json' }));
    },
  };
}

/**
 * Bundles a Worker entry as wrangler does for Workers (esbuild, the `workerd` export condition, so xxhash-wasm's
 * build that imports its `.wasm` as a module; `node:` built-ins left to `nodejs_compat`) into `outdir`, with
 * `configFile` as the bundled configuration when given.
 */
async function bundleWorker(entry: string, outdir: string, configFile?: string): Promise<{ main: string; wasm: string[] }> {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [entry],
    outdir,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    external: ['node:*'],
    loader: { '.wasm': 'copy' },
    metafile: true,
    logLevel: 'silent',
    plugins: configFile ? [configFilePlugin(configFile)] : [],
  });
  const outputs = Object.keys(result.metafile.outputs).map((file) => resolve(file));
  return { main: outputs.find((f) => f.endsWith('.js'))!, wasm: outputs.filter((f) => f.endsWith('.wasm')) };
}

/** The compatibility date and flags of wrangler.toml, so the local runtime runs the Worker as deployed. */
function compatibility(): { compatibilityDate: string; compatibilityFlags: string[] } {
  const toml = readFileSync(join(ROOT, 'wrangler.toml'), 'utf8');
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
  const flags = /^compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(toml)?.[1];
  if (!date) throw new Error('wrangler.toml has no compatibility_date');
  return { compatibilityDate: date, compatibilityFlags: [...(flags ?? '').matchAll(/"([^"]+)"/g)].map((m) => m[1]!) };
}

/**
 * Starts a Worker (`gateway/worker.ts`, or `entrypoint`) under workerd through Miniflare (shipped with wrangler),
 * with wrangler.toml's compatibility date and flags: local only (no account, no remote bindings, no metrics, no
 * `Request.cf` download). Miniflare is used directly rather than wrangler's dev server: it starts in seconds, and
 * requests reach the Worker with no proxy in between (so a client going away reaches it as it would in production).
 */
export async function startWorkerd(options: {
  port: number;
  vars: Record<string, string>;
  entrypoint?: string;
  configFile?: string;
}): Promise<RunningWorkerd> {
  process.env.WRANGLER_SEND_METRICS = 'false';
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';
  const outdir = mkdtempSync(join(tmpdir(), 'gw-worker-'));
  const bundle = await bundleWorker(join(ROOT, options.entrypoint ?? 'gateway/worker.ts'), outdir, options.configFile);
  const { Miniflare } = await import('miniflare');
  const mf = new Miniflare({
    ...compatibility(),
    modules: [{ type: 'ESModule', path: bundle.main }, ...bundle.wasm.map((path) => ({ type: 'CompiledWasm' as const, path }))],
    modulesRoot: outdir,
    bindings: options.vars,
    host: '127.0.0.1',
    port: options.port,
    cf: false,
  });
  const url = (await mf.ready).origin;
  return {
    url,
    async close() {
      await mf.dispose();
      rmSync(outdir, { recursive: true, force: true });
    },
  };
}
