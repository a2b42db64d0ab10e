import { noLogger, type Logger } from '../../lib/log/interface.ts';
import { openSecret } from '../../lib/secret-box.ts';
import { ConfigDocument } from '../../schema/admin.ts';
import type { GatewayConfig } from '../../schema/config.ts';
import type { ConfigStore } from '../../stores/config/interface.ts';
import { hashKey as webHashKey, type ApiKeyCheck, type KeyHash } from '../auth.ts';
import type { ConfigSnapshot, ConfigSource } from '../deps.ts';
import { indexConfig } from '../routing/resolve.ts';

/** Options of the store-backed configuration source. */
export interface StoreConfigSourceOptions {
  /** How often the version key is polled; 300 ms by default, so a change is seen within a second. */
  intervalMs?: number;
  /** Data-plane keys from the environment (`GATEWAY_API_KEYS`), honoured beside those in the store. */
  staticKeys?: string[];
  /** Keys this process uses for its own calls (canary warm-up): accepted, but they never switch auth on. */
  internalKeys?: string[];
  /** A poll that takes longer than this counts as a failure (the store hangs); 3,000 ms by default. */
  pollTimeoutMs?: number;
  /** Served when the store cannot be read at start (the configuration file). */
  fallback?: GatewayConfig;
  /** Opens the sealed secrets of SigV4 keys (`GATEWAY_SECRET_KEY`); without it, SigV4 keys are not recognised. */
  secretKey?: CryptoKey;
  /** Reloads, auth turning on or off, and store outages are logged here. */
  logger?: Logger;
  /** Hashes a presented key (Web Crypto's `hashKey` by default; `nodeKeyHash` on Node). */
  hashKey?: KeyHash;
}

/** Counters of the source, for metrics. */
export interface StoreSourceStats {
  version: number;
  failedPolls: number;
  outages: number;
  reloads: number;
  unavailable: boolean;
}

/** A configuration source that follows the config store, and the data-plane keys stored there. */
export interface StoreConfigSource extends ConfigSource {
  keys: ApiKeyCheck;
  stats(): StoreSourceStats;
  /** Polls once now (also what the timer does). */
  poll(): Promise<void>;
  start(): void;
  stop(): void;
}

/**
 * Loads the configuration from the store and polls its version key; a new version is read, validated and
 * swapped in as a whole. While the store is unreachable, the last good configuration stays in force: the
 * outage is logged once, each failed poll is counted, and polling goes on until the store answers again.
 */
export async function storeConfigSource(store: ConfigStore, options: StoreConfigSourceOptions = {}): Promise<StoreConfigSource> {
  const logger = options.logger ?? noLogger;
  const hashKey = options.hashKey ?? webHashKey;
  const staticHashes = new Set(await Promise.all((options.staticKeys ?? []).filter(Boolean).map(hashKey)));
  const internalHashes = new Set(await Promise.all((options.internalKeys ?? []).filter(Boolean).map(hashKey)));
  let storeHashes = new Set<string>();
  /** Sealed secrets of live SigV4 keys by access key id. */
  let sealedSecrets = new Map<string, string>();
  /** Opened secrets, each opened once per sealed value (a key's record never changes but by revocation). */
  const openedSecrets = new Map<string, { sealed: string; secret: Promise<string | null> }>();
  /** Sealed values already reported as unopenable ('' once for a missing secret key): one error line each. */
  const unopenable = new Set<string>();
  let snapshot: ConfigSnapshot | null = null;
  const stats: StoreSourceStats = { version: 0, failedPolls: 0, outages: 0, reloads: 0, unavailable: false };
  let timer: ReturnType<typeof setInterval> | undefined;
  let polling: Promise<void> | null = null;

  function failed(message: string): void {
    stats.failedPolls++;
    if (stats.unavailable) return;
    stats.unavailable = true;
    stats.outages++;
    logger.warn('config store unreachable', { servingVersion: stats.version, error: message });
  }

  async function load(): Promise<void> {
    const read = await store.read();
    if (!read.ok) return failed(read.error.message);
    if (!read.value) return;
    const parsed = ConfigDocument.safeParse(read.value.document);
    if (!parsed.success) {
      logger.error('config store version is invalid', { version: read.value.version, keeping: stats.version, error: parsed.error.message });
      stats.version = read.value.version;
      return;
    }
    const reload = snapshot !== null;
    const authWasOn = enabled();
    snapshot = { config: parsed.data.config, index: indexConfig(parsed.data.config), version: read.value.version };
    const live = parsed.data.apiKeys.filter((k) => k.revokedAt === null);
    storeHashes = new Set(live.flatMap((k) => (k.kind === 'bearer' ? [k.hash] : [])));
    sealedSecrets = new Map(live.flatMap((k) => (k.kind === 'sigv4' ? [[k.accessKeyId, k.sealedSecret] as const] : [])));
    for (const id of openedSecrets.keys()) if (!sealedSecrets.has(id)) openedSecrets.delete(id);
    stats.version = read.value.version;
    stats.reloads++;
    if (reload) logger.info('configuration reloaded', { version: read.value.version });
    if (reload && authWasOn !== enabled()) logAuth(logger, enabled(), staticHashes.size, storeHashes.size + sealedSecrets.size);
  }

  function enabled(): boolean {
    return staticHashes.size > 0 || storeHashes.size > 0 || sealedSecrets.size > 0;
  }

  async function sigv4Secret(accessKeyId: string): Promise<string | undefined> {
    const sealed = sealedSecrets.get(accessKeyId);
    if (sealed === undefined) return undefined;
    if (!options.secretKey) {
      if (!unopenable.has('')) {
        unopenable.add('');
        logger.error('SigV4 keys exist but this gateway has no secret key to open them: set GATEWAY_SECRET_KEY', { accessKeyId });
      }
      return undefined;
    }
    let opened = openedSecrets.get(accessKeyId);
    if (opened?.sealed !== sealed) {
      opened = { sealed, secret: openSecret(options.secretKey, sealed, accessKeyId) };
      openedSecrets.set(accessKeyId, opened);
    }
    const secret = await opened.secret;
    if (secret === null && !unopenable.has(sealed)) {
      unopenable.add(sealed);
      logger.error('a SigV4 key cannot be opened with this secret key (GATEWAY_SECRET_KEY differs?)', { accessKeyId });
    }
    return secret ?? undefined;
  }

  async function pollOnce(): Promise<void> {
    const version = await store.version();
    if (!version.ok) return failed(version.error.message);
    if (stats.unavailable) {
      stats.unavailable = false;
      logger.info('config store reachable again', { version: version.value });
    }
    if (version.value !== stats.version) await load();
  }

  // A hung store must not stop polling for good: a poll that takes too long is abandoned as a failure.
  function pollWithTimeout(): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeoutMs = options.pollTimeoutMs ?? 3_000;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => resolve(failed(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    return Promise.race([pollOnce(), timeout]).finally(() => clearTimeout(timer));
  }

  const poll = (): Promise<void> => (polling ??= pollWithTimeout().finally(() => (polling = null)));

  await load();
  if (!snapshot) {
    if (!options.fallback)
      throw new Error(stats.unavailable ? 'config store unreachable and no fallback configuration' : 'config store is empty');
    snapshot = { config: options.fallback, index: indexConfig(options.fallback), version: null };
    logger.warn('serving the configuration file until the config store answers');
  }

  return {
    current: () => snapshot!,
    keys: {
      enabled,
      isValid: async (key) => {
        const hash = await hashKey(key);
        return staticHashes.has(hash) || storeHashes.has(hash) || internalHashes.has(hash);
      },
      sigv4Secret,
    },
    stats: () => ({ ...stats }),
    poll,
    start() {
      timer ??= setInterval(() => void poll(), options.intervalMs ?? 300);
      timer.unref?.();
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
  };
}

/** Data-plane auth turned on (the first key exists) or off (the last one was revoked), as this replica sees it. */
function logAuth(logger: Logger, on: boolean, envKeys: number, storeKeys: number): void {
  if (on)
    logger.info('data-plane auth is ON: API keys exist; requests need Authorization: Bearer <key> or a SigV4 signature', {
      envKeys,
      storeKeys,
    });
  else logger.warn('data-plane auth is OFF: no API keys left; every request is accepted', { envKeys, storeKeys });
}
