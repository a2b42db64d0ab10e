import { startControlPlane } from '../../admin/control-plane.ts';
import { loadGatewayConfig } from '../../gateway/config/load.ts';
import { startNodeGateway } from '../../gateway/node.ts';
import { startSimulator, type StartOptions } from '../../simulator/server.ts';
import type { ConfigStoreChoice } from '../../stores/config/index.ts';
import { ADMIN_TOKEN } from './admin-fixtures.ts';
import { SIM_CREDENTIALS, tempDir } from './gateway.ts';
import type { ResponseJson } from './json.ts';
import { MemoryLogger } from '../../lib/log/memory.ts';

/** What a controlled stack varies: its config store, static keys, poll interval, simulator, and observations. */
export interface ControlledStackOptions {
  store?: ConfigStoreChoice;
  staticKeys?: string[];
  pollMs?: number;
  /** Simulator options over the defaults (seed 7, time scale 0). */
  simulator?: Omit<StartOptions, 'credentials'>;
  /** Keep observations in SQLite under the stack's data directory (default: in memory). */
  observations?: boolean;
  /** Where the admin app finds analysis and evaluation reports (default `reports`). */
  reportsDir?: string;
}

/** A simulator and a gateway whose configuration comes from a config store, with the admin API mounted. */
export async function startControlledStack(options: ControlledStackOptions = {}) {
  const dataDir = tempDir('gw-admin-');
  const sim = await startSimulator({ seed: 7, timeScale: 0, ...options.simulator, credentials: SIM_CREDENTIALS });
  const fileConfig = loadGatewayConfig('config/mangaassist.json');
  const logs: string[] = [];
  const logger = new MemoryLogger();
  const control = await startControlPlane({
    store: options.store ?? { kind: 'sqlite', path: `${dataDir}/config.db` },
    fileConfig,
    staticKeys: options.staticKeys ?? [],
    dataDir,
    ...(options.reportsDir ? { reportsDir: options.reportsDir } : {}),
    adminToken: ADMIN_TOKEN,
    pollMs: options.pollMs ?? 100,
    log: (line) => logs.push(line),
    logger,
  });
  const gateway = await startNodeGateway({
    config: fileConfig,
    configSource: control.source,
    auth: control.source.keys,
    adminFetch: control.adminFetch,
    registerMetrics: control.registerMetrics,
    bedrock: { endpoint: sim.url, region: 'us-east-1', credentials: SIM_CREDENTIALS, timeoutMs: 10_000 },
    dataDir: options.observations ? dataDir : null,
    shutdownGraceMs: 500,
    defaultMetrics: false,
  });
  return {
    url: gateway.url,
    gateway,
    control,
    logs,
    /** Structured lines of the control plane (config reloads, store outages, admin changes). */
    logger,
    dataDir,
    fileConfig,
    async close() {
      await gateway.shutdown();
      await control.close();
      await sim.close();
    },
  };
}

/** Calls the admin API of a gateway over HTTP with the test admin token. */
export async function adminCall(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: ResponseJson }> {
  const res = await fetch(`${baseUrl}/admin${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

/** One Converse call on the `mangaassist` route; returns its status and the arm and configuration headers. */
export async function converse(
  baseUrl: string,
  intent: string,
  sessionId: string,
  key?: string,
): Promise<{ status: number; arm: string | null; config: string | null }> {
  const res = await fetch(`${baseUrl}/model/mangaassist/converse`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-intent': intent,
      'x-session-id': sessionId,
      ...(key ? { authorization: `Bearer ${key}` } : {}),
    },
    body: JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'hello' }] }] }),
  });
  await res.arrayBuffer();
  return { status: res.status, arm: res.headers.get('x-gateway-arm'), config: res.headers.get('x-gateway-config') };
}

/** Waits until `check` holds, polling every 25 ms; returns the elapsed milliseconds or throws after `timeoutMs`. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return Date.now() - start;
}
