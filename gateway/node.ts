import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { listenDual, type DualServer } from '../lib/node/listen.ts';
import type { GatewayConfig } from '../schema/config.ts';
import { DurableSink } from '../stores/observations/durable.ts';
import type { ObservationSink, RecordStore } from '../stores/observations/interface.ts';
import { MemoryObservationSink } from '../stores/observations/memory.ts';
import { SpillFile } from '../stores/observations/spill.ts';
import { sqliteRecordStore } from '../stores/observations/sqlite.ts';
import { teeRecordStore } from '../stores/observations/tee.ts';
import { openDatabase } from '../stores/sqlite/database.ts';
import { createGatewayApp } from './app.ts';
import { staticApiKeys, type ApiKeyCheck } from './auth.ts';
import { staticConfig, type ConfigSource } from './deps.ts';
import { Lifecycle } from './lifecycle.ts';
import { initBucketing } from './routing/bucket.ts';
import { prometheusTelemetry } from './telemetry/prometheus.ts';
import { bedrockUpstream, type BedrockUpstreamOptions } from './upstreams/bedrock/client.ts';
import { undiciTransport } from './upstreams/http/undici.ts';
import { nodeSigningCrypto } from './upstreams/bedrock/node-crypto.ts';
import { openaiUpstream } from './upstreams/openai/client.ts';

export interface NodeGatewayOptions {
  config: GatewayConfig;
  /** Follows a changing configuration (the config store) instead of the fixed `config`. */
  configSource?: ConfigSource;
  /** Data-plane key check used instead of the fixed `apiKeys` (e.g. with the config store's keys too). */
  auth?: ApiKeyCheck;
  /** Serves `/admin` and below on the same port (the admin app's fetch). */
  adminFetch?: (request: Request) => Response | Promise<Response>;
  /** Registers extra metrics (e.g. the config store's) beside the gateway's. */
  registerMetrics?: (registry: Registry) => void;
  bedrock: BedrockUpstreamOptions;
  port?: number;
  host?: string;
  apiKeys?: string[];
  /** Directory of the SQLite store and spill file; null keeps observations in memory (tests). */
  dataDir: string | null;
  /** A second store every stored batch also goes to (e.g. the DynamoDB observation log); needs `dataDir`. */
  observationCopy?: RecordStore;
  maxBodyBytes?: number;
  /** How long in-flight requests may run on after SIGTERM before they are cut. */
  shutdownGraceMs?: number;
  /** Node's process metrics on /metrics (off in tests that start several gateways in one process). */
  defaultMetrics?: boolean;
  log?: (line: string) => void;
}

/** A running Node gateway and the handles tests and the entry point need. */
export interface NodeGateway {
  url: string;
  server: DualServer;
  sink: ObservationSink;
  lifecycle: Lifecycle;
  /** Drains, waits up to the grace period, cuts what is left as `shutdown_abort`, flushes, closes. */
  shutdown(): Promise<{ cut: number }>;
}

/** Wires the data plane for Node: SQLite sink with spill file, Prometheus metrics, h1 + h2c listener. */
export async function startNodeGateway(options: NodeGatewayOptions): Promise<NodeGateway> {
  await initBucketing();
  const log = options.log ?? (() => {});
  const telemetry = prometheusTelemetry({ defaultMetrics: options.defaultMetrics ?? true });
  options.registerMetrics?.(telemetry.registry);
  let sink: ObservationSink;
  let closeStore = (): void => {};
  if (options.dataDir) {
    const db = openDatabase(join(options.dataDir, 'gateway.db'), { busyTimeoutMs: 50 });
    const store = options.observationCopy ? teeRecordStore(sqliteRecordStore(db), options.observationCopy) : sqliteRecordStore(db);
    const durable = new DurableSink(store, new SpillFile(join(options.dataDir, 'observations.spill.jsonl')), {
      onSpilled: (n) => telemetry.spilled(n),
      onReplayed: (n) => telemetry.replayed(n),
      onDropped: (n) => telemetry.dropped(n),
      onStoreError: (err) => log(`observation store failed, spilling to file: ${(err as Error).message}`),
    });
    sink = durable;
    closeStore = () => {
      durable.close();
      db.close();
    };
  } else {
    sink = new MemoryObservationSink();
  }
  const lifecycle = new Lifecycle();
  const transport = undiciTransport();
  const auth = options.auth ?? (await staticApiKeys(options.apiKeys ?? []));
  const app = createGatewayApp({
    config: options.configSource ?? staticConfig(options.config),
    upstreams: {
      bedrock: bedrockUpstream({ signingCrypto: nodeSigningCrypto, transport, ...options.bedrock }),
      openai: openaiUpstream({ transport, timeoutMs: options.bedrock.timeoutMs }),
    },
    sink,
    telemetry,
    auth,
    lifecycle,
    maxBodyBytes: options.maxBodyBytes ?? 1_048_576,
    now: () => performance.now(),
  });
  const adminFetch = options.adminFetch;
  const isAdminPath = (url: string): boolean => /^\/admin(\/|$)/.test(new URL(url).pathname);
  const handler = adminFetch ? (request: Request) => (isAdminPath(request.url) ? adminFetch(request) : app.fetch(request)) : app.fetch;
  const server = await listenDual(handler, { port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  let stopping: Promise<{ cut: number }> | undefined;

  async function shutdown(): Promise<{ cut: number }> {
    lifecycle.startDraining();
    server.stopAccepting();
    const graceMs = options.shutdownGraceMs ?? 10_000;
    let cut = 0;
    if (!(await lifecycle.settled(graceMs))) {
      cut = lifecycle.cutInFlight();
      log(`grace period of ${graceMs} ms over: cut ${cut} in-flight request(s)`);
      await lifecycle.settled(2_000);
    }
    await server.close(500);
    // Closing the connections ends the last cut streams; their observations are recorded as they end.
    await lifecycle.settled(1_000);
    await sink.flush();
    closeStore();
    await transport.close();
    return { cut };
  }

  return { url: server.url, server, sink, lifecycle, shutdown: () => (stopping ??= shutdown()) };
}
