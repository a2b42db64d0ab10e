import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { lineLog, type Logger } from '../lib/log/interface.ts';
import type { ConnectionLimits } from '../lib/node/connection-limits.ts';
import { listenDual, type DualServer } from '../lib/node/listen.ts';
import type { GatewayConfig } from '../schema/config.ts';
import { DurableSink } from '../stores/observations/durable.ts';
import { FanOutSink } from '../stores/observations/fanout.ts';
import type { ObservationSink, RecordStore } from '../stores/observations/interface.ts';
import { MemoryObservationSink } from '../stores/observations/memory.ts';
import { ReplicaSink } from '../stores/observations/replica.ts';
import { SpillFile } from '../stores/observations/spill.ts';
import { sqliteThreadRecordStore } from '../stores/observations/sqlite-thread.ts';
import { openDatabase } from '../stores/sqlite/database.ts';
import { createGatewayApp } from './app.ts';
import { staticApiKeys, type ApiKeyCheck } from './auth.ts';
import { nodeKeyHash } from './key-hash-node.ts';
import { nodeClientGone } from './client-gone-node.ts';
import { pullBody } from './stream/pull-body.ts';
import { staticConfig, type ConfigSource } from './deps.ts';
import { closeConnectionsWhileDraining } from './draining-connections.ts';
import { Lifecycle } from './lifecycle.ts';
import { listenerErrorResponse } from './listener-errors.ts';
import { initBucketing } from './routing/bucket.ts';
import { prometheusTelemetry, type SinkCounters } from './telemetry/prometheus.ts';
import { bedrockUpstream, type BedrockUpstreamOptions } from './upstreams/bedrock/client.ts';
import { undiciTransport, type UndiciTransportOptions } from './upstreams/http/undici.ts';
import { nodeSigningCrypto } from './upstreams/bedrock/node-crypto.ts';
import { openaiUpstream } from './upstreams/openai/client.ts';
import { DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS } from './stream/interface.ts';
import { DEFAULT_SHADOW_MAX_BODY_BYTES, DEFAULT_SHADOW_MAX_CONCURRENCY } from './shadow/dispatcher.ts';
import type { ShadowAnswerSink, ShadowAnswerSource } from '../stores/shadow-answers/interface.ts';
import { MemoryShadowAnswers } from '../stores/shadow-answers/memory.ts';
import { sqliteThreadShadowAnswers } from '../stores/shadow-answers/sqlite-thread.ts';
import type { FallbackPolicy } from './fallback/policy.ts';

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
  /** Deadlines for idle client connections and the cap on open ones (lib/node/connection-limits.ts defaults). */
  connectionLimits?: Partial<ConnectionLimits>;
  apiKeys?: string[];
  /** Directory of the SQLite store and spill file; null keeps observations in memory (tests). */
  dataDir: string | null;
  /**
   * A second store every record also goes to (e.g. the DynamoDB observation log); needs `dataDir`. It has its own
   * durable sink and spill file (`observations.copy.spill.jsonl`), so its failures never hold back the SQLite store.
   */
  observationCopy?: RecordStore;
  /**
   * The shared observation log (PostgreSQL, DynamoDB) every record goes to instead of the SQLite file under `dataDir`;
   * needs `dataDir`, which keeps this replica's spill file (`observations.spill.jsonl`), replayed into the log.
   */
  observationLog?: RecordStore & { close?(): Promise<void> };
  /** Stamped on every observation (`REPLICA_ID`); none when absent. */
  replicaId?: string;
  maxBodyBytes?: number;
  /** The upstream connection pool: connections per origin (`UPSTREAM_MAX_CONNECTIONS`, default 256). */
  upstreamHttp?: UndiciTransportOptions;
  /** Longest silence between chunks of an upstream answer that has begun (`UPSTREAM_IDLE_TIMEOUT_MS`). */
  upstreamIdleTimeoutMs?: number;
  /** Attempts, time budget and backoff of fallbacks (`FALLBACK_*`); the defaults when absent. */
  fallback?: FallbackPolicy;
  /** How long after SIGTERM in-flight requests may run on before they are cut. */
  shutdownGraceMs?: number;
  /**
   * Deregistration delay: how long after SIGTERM the listener still accepts connections (answering 503 with
   * `connection: close`) before it closes. 0 (the default) closes it at once.
   */
  shutdownDelayMs?: number;
  /** Node's process metrics on /metrics (off in tests that start several gateways in one process). */
  defaultMetrics?: boolean;
  /** Plain lines (store failures, shutdown); written through `logger` when not given. */
  log?: (line: string) => void;
  /** Structured lines: failed requests, internal errors. */
  logger?: Logger;
  /** Shadow traffic budget (`SHADOW_MAX_CONCURRENCY`, `SHADOW_MAX_BODY_BYTES`); defaults 4 and 64 KiB. */
  shadow?: { maxConcurrency?: number; maxBodyBytes?: number };
}

/** A running Node gateway and the handles tests and the entry point need. */
export interface NodeGateway {
  url: string;
  server: DualServer;
  sink: ObservationSink;
  lifecycle: Lifecycle;
  /** Texts of shadowed pairs: the `shadow_answers` table with a data directory, memory without. */
  shadowAnswers: ShadowAnswerSink & ShadowAnswerSource;
  /**
   * Drains: `/readyz` and new requests answer 503 at once, the listener closes after the deregistration delay,
   * in-flight requests get the grace period (from the call), what is left is cut as `shutdown_abort`; then the
   * observations are flushed and everything closes. Calling it again returns the same drain.
   */
  shutdown(): Promise<{ cut: number }>;
}

/**
 * The log's durable sink (the shared log, or else the SQLite file; spill file `observations.spill.jsonl`) and, with a
 * copy, the copy's own durable sink (spill file `observations.copy.spill.jsonl`) behind one fan-out sink whose
 * readiness is the log's.
 */
async function openDurableSinks(
  dataDir: string,
  shared: NodeGatewayOptions['observationLog'],
  copy: RecordStore | undefined,
  counters: SinkCounters & { copy: SinkCounters },
  log: (line: string) => void,
) {
  // The replica's own file holds its observations unless a shared log does, and always the shadowed answers' texts.
  // Opening it here runs the migrations before the writer's first insert; this connection only reads.
  const path = join(dataDir, 'gateway.db');
  const db = openDatabase(path, { busyTimeoutMs: 50 });
  // Observations and shadowed pairs are written by a worker thread with its own connection: no SQLite write runs on
  // the event loop. With a shared log it starts on the first shadowed pair.
  const writer = sqliteThreadRecordStore(path);
  const local = shared ? undefined : writer;
  // Its start-up (loading the sources in the thread) takes up to a second on a busy host: over before the first request.
  await local?.probe().catch((err: Error) => log(`observation writer not ready at start: ${err.message}`));
  const durable = (store: RecordStore, spillName: string, c: SinkCounters, what: string): DurableSink =>
    new DurableSink(store, new SpillFile(join(dataDir, spillName)), {
      onSpilled: (n) => c.spilled(n),
      onReplayed: (n) => c.replayed(n),
      onDropped: (n) => c.dropped(n),
      onStoreError: (err) => log(`${what} failed, spilling to file: ${(err as Error).message}`),
    });
  const primary = durable(shared ?? local!, 'observations.spill.jsonl', counters, 'observation store');
  const secondary = copy ? durable(copy, 'observations.copy.spill.jsonl', counters.copy, 'observation copy') : undefined;
  const sink: ObservationSink = secondary ? new FanOutSink(primary, [secondary]) : primary;
  const closeStore = async (): Promise<void> => {
    primary.close();
    secondary?.close();
    // The writer commits the batches and shadowed pairs sent before it closes.
    await writer.close();
    db.close();
    await shared?.close?.();
  };
  const shadowAnswers = sqliteThreadShadowAnswers(writer, db, (err) => log(`shadow answer not kept: ${err.message}`));
  return { sink, closeStore, shadowAnswers };
}

/** Wires the data plane for Node: SQLite sink with spill file, Prometheus metrics, h1 + h2c listener. */
export async function startNodeGateway(options: NodeGatewayOptions): Promise<NodeGateway> {
  await initBucketing();
  const log = options.log ?? (options.logger ? lineLog(options.logger, 'warn') : () => {});
  const telemetry = prometheusTelemetry({ defaultMetrics: options.defaultMetrics ?? true });
  options.registerMetrics?.(telemetry.registry);
  const { sink, closeStore, shadowAnswers } = options.dataDir
    ? await openDurableSinks(options.dataDir, options.observationLog, options.observationCopy, telemetry, log)
    : { sink: new MemoryObservationSink(), closeStore: async () => {}, shadowAnswers: new MemoryShadowAnswers() };
  const lifecycle = new Lifecycle();
  const transport = undiciTransport(options.upstreamHttp);
  const auth = options.auth ?? (await staticApiKeys(options.apiKeys ?? [], nodeKeyHash));
  const app = createGatewayApp({
    config: options.configSource ?? staticConfig(options.config),
    upstreams: {
      bedrock: bedrockUpstream({ signingCrypto: nodeSigningCrypto, transport, ...options.bedrock }),
      openai: openaiUpstream({ transport, timeoutMs: options.bedrock.timeoutMs }),
    },
    sink: options.replicaId ? new ReplicaSink(sink, options.replicaId) : sink,
    telemetry,
    auth,
    signingCrypto: nodeSigningCrypto,
    lifecycle,
    maxBodyBytes: options.maxBodyBytes ?? 1_048_576,
    upstreamIdleTimeoutMs: options.upstreamIdleTimeoutMs ?? DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS,
    fallback: options.fallback,
    now: () => performance.now(),
    clientGone: nodeClientGone,
    streamBody: pullBody,
    logger: options.logger,
    shadow: {
      maxConcurrency: options.shadow?.maxConcurrency ?? DEFAULT_SHADOW_MAX_CONCURRENCY,
      maxBodyBytes: options.shadow?.maxBodyBytes ?? DEFAULT_SHADOW_MAX_BODY_BYTES,
      answers: shadowAnswers,
    },
  });
  const adminFetch = options.adminFetch;
  const isAdminPath = (url: string): boolean => /^\/admin(\/|$)/.test(pathOf(url));
  const handler = adminFetch
    ? (request: Request, env?: unknown) => (isAdminPath(request.url) ? adminFetch(request) : app.fetch(request, env))
    : app.fetch;
  const server = await listenDual(handler, {
    ...options.connectionLimits,
    port: options.port ?? 0,
    host: options.host ?? '127.0.0.1',
    serverErrors: listenerErrorResponse,
  });
  closeConnectionsWhileDraining(server, () => lifecycle.draining);
  let stopping: Promise<{ cut: number }> | undefined;

  async function shutdown(): Promise<{ cut: number }> {
    lifecycle.startDraining();
    const graceMs = options.shutdownGraceMs ?? 10_000;
    // The listener stays open for the deregistration delay: connections that still arrive, or wait in the accept
    // queue, get a 503 instead of a reset while a load balancer notices /readyz failing.
    const delayMs = options.shutdownDelayMs ?? 0;
    const latest = performance.now() + Math.max(delayMs, graceMs);
    const listenerClosed = sleep(delayMs)
      .then(() => acceptQueueEmpty(server, latest))
      .then(() => server.stopAccepting());
    let cut = 0;
    if (!(await lifecycle.settled(graceMs))) {
      cut = lifecycle.cutInFlight();
      log(`grace period of ${graceMs} ms over: cut ${cut} in-flight request(s)`);
      await lifecycle.settled(2_000);
    }
    await listenerClosed;
    await server.close(500);
    // Closing the connections ends the last cut streams; their observations are recorded as they end.
    await lifecycle.settled(1_000);
    await sink.flush();
    await closeStore();
    await transport.close();
    return { cut };
  }

  return { url: server.url, server, sink, lifecycle, shadowAnswers, shutdown: () => (stopping ??= shutdown()) };
}

/** After the deregistration delay, the listener closes only once no connection has been accepted for this long. */
const ACCEPT_QUIET_MS = 200;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Resolves once the accept queue looks empty (no connection accepted for `ACCEPT_QUIET_MS`), or at `latest`:
 * closing the listener resets whatever still waits in the kernel's queue, so a busy process that accepts slowly
 * keeps it open until it has caught up.
 */
async function acceptQueueEmpty(server: Pick<DualServer, 'lastAcceptAt'>, latest: number): Promise<void> {
  for (;;) {
    const quietFor = performance.now() - server.lastAcceptAt();
    if (performance.now() >= latest) return;
    if (quietFor < ACCEPT_QUIET_MS) {
      await sleep(ACCEPT_QUIET_MS - quietFor);
      continue;
    }
    // A timer can fire before the poll phase accepts what queued while the loop was busy: look again after it.
    const seen = server.lastAcceptAt();
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (server.lastAcceptAt() === seen) return;
  }
}

/** Characters a URL parser keeps as they are in a path; a dot (a dot segment) or `%` (an escape) is not among them. */
const PLAIN_PATH = /^[\w\-~/!$&'()*+,;=:@]*$/;
/** An authority that ends where its first `/` is: a backslash (a path separator to the parser), `?`, `#` or `%` is not in it. */
const PLAIN_AUTHORITY = /^[\w.\-:@[\]]*$/;

/**
 * The path of an absolute request URL as `new URL(url).pathname` gives it, read straight from the string when it
 * holds only characters that parsing keeps as they are, which is every ordinary request; otherwise parsed.
 */
export function pathOf(url: string): string {
  // Only `http://host/` or `https://host/` with a plain, non-empty host is read here (`http:/x` has the host x).
  const authority = url.startsWith('http://') ? 7 : url.startsWith('https://') ? 8 : -1;
  const start = authority === -1 ? -1 : url.indexOf('/', authority);
  if (start <= authority || !PLAIN_AUTHORITY.test(url.slice(authority, start))) return new URL(url).pathname;
  const query = url.indexOf('?', start);
  const hash = url.indexOf('#', start);
  const end = query === -1 ? (hash === -1 ? url.length : hash) : hash === -1 ? query : Math.min(query, hash);
  const path = url.slice(start, end);
  return PLAIN_PATH.test(path) ? path : new URL(url).pathname;
}
