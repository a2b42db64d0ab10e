import type { Logger } from '../../lib/log/interface.ts';
import { importSecretKey, parseSecretKey } from '../../lib/secret-box.ts';
import { formatIssues, GatewayConfig } from '../../schema/config.ts';
import { upstashConfigStore } from '../../stores/config/upstash.ts';
import { staticApiKeys, type ApiKeyCheck } from '../auth.ts';
import { storeConfigSource, type StoreSourceStats } from '../config/store-source.ts';
import { staticConfig, type ConfigSource } from '../deps.ts';
import type { WorkerSettings } from './env.ts';

/** The Worker's configuration: the source in force, its key check, and a refresh to run after answering. */
export interface EdgeConfig {
  source: ConfigSource;
  auth: ApiKeyCheck;
  /** Reads the version key when the last read is older than `CONFIG_POLL_MS`; otherwise resolves at once. */
  refresh(): Promise<void> | null;
  stats(): StoreSourceStats | null;
}

/** Validates the bundled configuration file (imported as JSON). */
export function bundledConfig(raw: unknown): GatewayConfig {
  const parsed = GatewayConfig.safeParse(raw);
  if (!parsed.success) throw new Error(`invalid bundled configuration:\n${formatIssues(parsed.error)}`);
  return parsed.data;
}

/**
 * Configuration cached in the isolate. With Upstash set, it is read once at the isolate's first request and then
 * refreshed by the version key at most every `CONFIG_POLL_MS`, after the answer (through `waitUntil`); while
 * Upstash fails, the last good version stays in force. Without Upstash, the bundled file, fixed.
 */
export async function edgeConfig(env: WorkerSettings, bundled: GatewayConfig, logger: Logger): Promise<EdgeConfig> {
  const staticKeys = env.GATEWAY_API_KEYS.split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  if (!env.UPSTASH_REDIS_REST_URL || !env.UPSTASH_REDIS_REST_TOKEN) {
    return { source: staticConfig(bundled), auth: await staticApiKeys(staticKeys), refresh: () => null, stats: () => null };
  }
  const store = upstashConfigStore({
    url: env.UPSTASH_REDIS_REST_URL,
    token: env.UPSTASH_REDIS_REST_TOKEN,
    ...(env.CONFIG_STORE_PREFIX ? { keyPrefix: env.CONFIG_STORE_PREFIX } : {}),
  });
  const raw = env.GATEWAY_SECRET_KEY ? parseSecretKey(env.GATEWAY_SECRET_KEY) : null;
  const source = await storeConfigSource(store, {
    staticKeys,
    fallback: bundled,
    logger,
    ...(raw ? { secretKey: await importSecretKey(raw) } : {}),
  });
  let lastPoll = Date.now();
  return {
    source,
    auth: source.keys,
    refresh() {
      if (Date.now() - lastPoll < env.CONFIG_POLL_MS) return null;
      lastPoll = Date.now();
      return source.poll();
    },
    stats: () => source.stats(),
  };
}
