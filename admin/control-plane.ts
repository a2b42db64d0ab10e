import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { lineLog, noLogger, type Logger } from '../lib/log/interface.ts';
import { listenDual, type DualServer } from '../lib/node/listen.ts';
import type { GatewayConfig } from '../schema/config.ts';
import { openConfigStore, type ConfigStoreChoice } from '../stores/config/index.ts';
import { loggedConfigStore } from '../stores/config/logged.ts';
import { registerConfigStoreMetrics } from '../gateway/config/store-metrics.ts';
import { storeConfigSource, type StoreConfigSource } from '../gateway/config/store-source.ts';
import { nodeKeyHash } from '../gateway/key-hash-node.ts';
import { createAdminApp } from './app.ts';
import { createCanaryController, type CanaryController } from './canary/controller.ts';
import { canaryMetrics } from './canary/metrics.ts';
import { httpWarmup } from './canary/warmup.ts';
import type { WindowSource } from './canary/window-source.ts';
import { resolveAdminToken } from './auth.ts';
import { resolveSecretKey } from './secret-key.ts';
import { importSecretKey } from '../lib/secret-box.ts';
import { seedStore } from './mutate.ts';
import { localOptimizeSource } from './optimize/source.ts';

/** Options of the Node control plane: where the configuration lives and how the admin API is reached. */
export interface ControlPlaneOptions {
  store: ConfigStoreChoice;
  /** Seeds an empty store, and is served while the store cannot be read at start. */
  fileConfig: GatewayConfig;
  staticKeys: string[];
  dataDir: string;
  /** Where the dashboard finds analysis and evaluation reports (`reports` by default). */
  reportsDir?: string;
  /**
   * Observations `POST /admin/optimize` analyses: the gateway's SQLite file (default `<dataDir>/gateway.db`) or a
   * `postgres://` warehouse URL.
   */
  analysisStore?: string;
  /** `ADMIN_TOKEN`; generated and kept in `dataDir` when unset. */
  adminToken?: string;
  /** `GATEWAY_SECRET_KEY` (seals SigV4 secrets); generated and kept in `dataDir` when unset. */
  secretKey?: string;
  /** Also serve the admin API alone on this port. */
  adminPort?: number;
  host?: string;
  pollMs?: number;
  /** Plain lines (start-up, lease, webhooks); written through `logger` at info level when not given. */
  log?: (line: string) => void;
  /** Structured lines: admin changes, reloads, auth turning on or off, canary decisions. */
  logger?: Logger;
}

/** The running control plane: the configuration source for the data plane, the admin app and their handles. */
export interface ControlPlane {
  source: StoreConfigSource;
  adminFetch: (request: Request) => Response | Promise<Response>;
  registerMetrics: (registry: Registry) => void;
  adminServer: DualServer | null;
  /** Starts the canary controller of this replica once the gateway listens (warm-up goes through it). */
  startCanaryController(options: CanaryControllerStart): CanaryController;
  close(): Promise<void>;
}

/** Where the canary controller of a Node replica reads windows and sends warm-ups. */
export interface CanaryControllerStart {
  /** Lease holder id of this replica. */
  holder: string;
  /**
   * Where windows are read: the configured observation log's source (`selectWindowSource`), never this
   * replica's file alone when replicas share a log. The controller closes it when it stops.
   */
  windows: WindowSource;
  /** The gateway's base URL, for warm-up requests. */
  gatewayUrl: string;
  intervalMs?: number;
  leaseTtlMs?: number;
}

/** Opens the config store, seeds it on first start, follows it, and builds the admin API over it. */
export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const logger = options.logger ?? noLogger;
  const log = options.log ?? lineLog(logger);
  // Every commit (admin API, canary controller, seeding) goes through this store, so each is logged once.
  const store = loggedConfigStore(openConfigStore(options.store), logger);
  const seeded = await seedStore(store, options.fileConfig, Date.now);
  if (!seeded.ok) log(`config store unreachable at start: ${seeded.message}`);
  else if (seeded.seeded) log('config store was empty: seeded it from the configuration file');
  // Warm-up requests go through this replica's own data plane with a key that exists only in this process,
  // so they pass when auth is on through keys kept hashed in the store.
  const warmupKey = randomBytes(24).toString('base64url');
  const secretKey = await importSecretKey(resolveSecretKey(options.secretKey, options.dataDir, log));
  const source = await storeConfigSource(store, {
    secretKey,
    intervalMs: options.pollMs,
    staticKeys: options.staticKeys,
    internalKeys: [warmupKey],
    fallback: options.fileConfig,
    logger,
    hashKey: nodeKeyHash,
  });
  source.start();
  const token = resolveAdminToken(options.adminToken, options.dataDir, log);
  const admin = createAdminApp({
    store,
    tokens: [token],
    secretKey,
    isDataPlaneKey: (key) => source.keys.isValid(key),
    dashboard: { reportsDir: options.reportsDir ?? 'reports' },
    optimize: localOptimizeSource({
      store: options.analysisStore ?? join(options.dataDir, 'gateway.db'),
      evalDir: join(options.reportsDir ?? 'reports', 'eval'),
    }),
    canary: { log },
    logger,
  });
  const adminServer =
    options.adminPort !== undefined ? await listenDual(admin.fetch, { port: options.adminPort, host: options.host ?? '127.0.0.1' }) : null;
  if (adminServer) log(`admin API listening on ${adminServer.url}/admin`);
  const canaryGauges = canaryMetrics();
  let controller: CanaryController | null = null;
  return {
    source,
    adminFetch: (request) => admin.fetch(request),
    registerMetrics: (registry) => {
      registerConfigStoreMetrics(registry, source.stats);
      canaryGauges.register(registry);
    },
    adminServer,
    startCanaryController(start) {
      controller ??= createCanaryController({
        store,
        windows: start.windows,
        warmup: httpWarmup({ baseUrl: start.gatewayUrl, apiKey: warmupKey }),
        holder: start.holder,
        intervalMs: start.intervalMs,
        leaseTtlMs: start.leaseTtlMs,
        metrics: canaryGauges,
        log,
        logger,
      });
      controller.start();
      return controller;
    },
    async close() {
      await controller?.stop();
      source.stop();
      await adminServer?.close(500);
      await store.close();
    },
  };
}
