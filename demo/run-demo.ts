import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { startControlPlane } from '../admin/control-plane.ts';
import { runJob, type JobResult } from '../analysis/job.ts';
import { startNodeGateway } from '../gateway/node.ts';
import { GatewayConfig } from '../schema/config.ts';
import { createRng } from '../simulator/rng.ts';
import { startSimulator } from '../simulator/server.ts';
import { describeStore } from '../stores/config/env.ts';
import { loadGatewayConfig } from '../stores/config/file.ts';
import { defaultConfigStore, type ConfigStoreChoice } from '../stores/config/index.ts';
import { runSession, type Chatbot } from './chatbot.ts';

/** Options of a demo run. */
export interface DemoOptions {
  sessions: number;
  /** Sessions in flight at once. */
  concurrency?: number;
  /** Simulator time scale (1 = real model timing; 0 = instant). */
  timeScale?: number;
  seed?: number;
  /** Gateway data directory; default: a fresh temporary one. */
  dataDir?: string;
  /** Report directory; default: `<dataDir>/reports`. */
  outDir?: string;
  /**
   * The config store the demo's gateway routes by and its analysis reads; default SQLite in the data directory.
   * An empty store is seeded with the demo configuration; a store that has one already is used as it is.
   */
  configStore?: ConfigStoreChoice;
  log?: (line: string) => void;
}

const CREDENTIALS = { accessKeyId: 'AKIDDEMOGATEWAY', secretAccessKey: 'demo-secret-key-for-the-simulator' };

/**
 * The shipped MangaAssist configuration, starting from the document's "Sonnet for everything" table, with the
 * demo's experiments: the Sonnet v1 -> v2 upgrade on recommendation (as in the document, but at a 50% split so
 * a short demo fills both arms), and Haiku trials on faq, chitchat and order_tracking.
 */
export function demoConfig(): GatewayConfig {
  const base = loadGatewayConfig('config/mangaassist.json');
  const route = base.routes.find((r) => r.name === 'mangaassist')!;
  const sonnetEverywhere = { ...route, default: 'sonnet-35-v1', table: Object.fromEntries(route.intents.map((i) => [i, 'sonnet-35-v1'])) };
  const trial = (id: string, intent: string, treatment: string) => ({
    id,
    route: 'mangaassist',
    intent,
    control: 'sonnet-35-v1',
    treatment,
    split: 0.5,
    status: 'running' as const,
  });
  return GatewayConfig.parse({
    ...base,
    routes: base.routes.map((r) => (r.name === 'mangaassist' ? sonnetEverywhere : r)),
    experiments: [
      trial('sonnet-v2-upgrade', 'recommendation', 'sonnet-35-v2'),
      trial('haiku-faq-trial', 'faq', 'haiku-35'),
      trial('chitchat-tiering', 'chitchat', 'haiku-35'),
      trial('order-tracking-tiering', 'order_tracking', 'haiku-35'),
    ],
  });
}

async function pool(count: number, concurrency: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/** Starts the simulator and a gateway that routes by the config store, drives chat sessions through the SDK, then runs the analysis. */
export async function runDemo(o: DemoOptions): Promise<JobResult & { dataDir: string; requests: number }> {
  const log = o.log ?? ((line: string) => console.log(line));
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'gateway-demo-'));
  const storeChoice = o.configStore ?? defaultConfigStore(dataDir);
  const sim = await startSimulator({ seed: o.seed ?? 7, timeScale: o.timeScale ?? 0.01, credentials: CREDENTIALS });
  // The admin API is not used by the demo; a token that lives only in this process keeps none on disk.
  const adminToken = randomBytes(24).toString('base64url');
  const control = await startControlPlane({ store: storeChoice, fileConfig: demoConfig(), staticKeys: [], dataDir, adminToken, log });
  log(`configuration: ${describeStore(storeChoice)}, version ${control.source.stats().version}`);
  const gateway = await startNodeGateway({
    config: control.source.current().config,
    configSource: control.source,
    auth: control.source.keys,
    adminFetch: control.adminFetch,
    bedrock: { endpoint: sim.url, region: 'us-east-1', credentials: CREDENTIALS, timeoutMs: 30_000 },
    dataDir,
    port: 0,
    defaultMetrics: false,
    log: () => {},
  });
  log(`simulator ${sim.url}, gateway ${gateway.url}, data in ${dataDir}`);
  const client = new BedrockRuntimeClient({
    region: 'us-east-1',
    endpoint: gateway.url,
    token: { token: 'unused-when-auth-is-off' },
    authSchemePreference: ['httpBearerAuth'],
    maxAttempts: 1,
  });
  const bot: Chatbot = { client, gatewayUrl: gateway.url, config: control.source.current().config, rng: createRng(o.seed ?? 7) };
  const runId = Date.now().toString(36);
  let requests = 0;
  try {
    await pool(o.sessions, o.concurrency ?? 16, async (i) => {
      const answered = await runSession(bot, `demo-${runId}-${i}`);
      requests += answered;
    });
  } finally {
    client.destroy();
    await gateway.shutdown();
    await control.close();
    await sim.close();
  }
  log(`drove ${o.sessions} sessions, ${requests} answered requests with feedback`);
  const outDir = o.outDir ?? join(dataDir, 'reports');
  const result = await runJob({ store: join(dataDir, 'gateway.db'), configStore: storeChoice, outDir });
  return { ...result, dataDir, requests };
}
