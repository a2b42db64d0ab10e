import { randomBytes } from 'node:crypto';
import type { AddressInfo, Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
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
 * table created, and `gateway/worker.ts` under the local Workers runtime through wrangler's `unstable_startWorker`
 * (no account, no remote bindings, no metrics sent).
 */
export async function startLocalEdge(options: LocalEdgeOptions = {}): Promise<LocalEdge> {
  const t0 = performance.now();
  process.env.WRANGLER_SEND_METRICS = 'false';
  // No fetch of the `Request.cf` template from workers.cloudflare.com: a placeholder object is used instead.
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';
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
  const { unstable_startWorker } = await import('wrangler');
  const worker = await unstable_startWorker({
    config: `${ROOT}/wrangler.toml`,
    sendMetrics: false,
    bindings: Object.fromEntries(Object.entries(vars).map(([k, value]) => [k, { type: 'plain_text' as const, value }])),
    dev: {
      server: { hostname: '127.0.0.1', port: options.port ?? 0 },
      inspector: false,
      remote: false,
      persist: false,
      watch: false,
      liveReload: false,
      logLevel: 'warn',
    },
  });
  const url = (await worker.url).origin;
  const health = await fetch(`${url}/healthz`);
  if (!health.ok) throw new Error(`the Worker answered /healthz with ${health.status}: ${await health.text()}`);
  return {
    url,
    simulator,
    dynamo: { endpoint: db.endpoint, table },
    credentials,
    startupMs: Math.round(performance.now() - t0),
    async close() {
      await worker.dispose();
      await simulator?.close(100);
      await db.close();
    },
  };
}
