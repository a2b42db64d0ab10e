import { Redis } from '@upstash/redis';
import type { AuditEntry, ConfigDocument } from '../../schema/admin.ts';
import { auditBounds, fail, ok, unavailable, type AuditInput, type ConfigStore, type StoreResult, type StoredDocument } from './interface.ts';

/** Options of the Upstash Redis config store (REST API). */
export interface UpstashConfigStoreOptions {
  /** REST URL, e.g. `UPSTASH_REDIS_REST_URL`. */
  url: string;
  /** REST token, e.g. `UPSTASH_REDIS_REST_TOKEN`. */
  token: string;
  /** Prefix of every key, so that several gateways (or tests) can share one database. Default `gw:config:`. */
  keyPrefix?: string;
  /** Time allowed per REST call; 2,000 ms by default. */
  timeoutMs?: number;
}

// Compare-and-set in one server-side step: the document, the version and the audit entry move together.
const COMMIT_SCRIPT = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current ~= tonumber(ARGV[1]) then return -current - 1 end
local nextVersion = current + 1
redis.call('SET', KEYS[2], ARGV[2])
redis.call('SET', KEYS[1], nextVersion)
redis.call('ZADD', KEYS[3], nextVersion, ARGV[3])
return nextVersion`;

/** The config store on Upstash Redis: a version key, a document key and the audit log as a sorted set. */
export function upstashConfigStore(options: UpstashConfigStoreOptions): ConfigStore {
  // Polling retries on its own schedule; the client's own retries would only delay noticing an outage.
  const timeoutMs = options.timeoutMs ?? 2_000;
  const redis = new Redis({
    url: options.url,
    token: options.token,
    automaticDeserialization: false,
    retry: false,
    signal: () => AbortSignal.timeout(timeoutMs),
  });
  const prefix = options.keyPrefix ?? 'gw:config:';
  const keys = { version: `${prefix}version`, document: `${prefix}document`, audit: `${prefix}audit` };

  async function version(): Promise<StoreResult<number>> {
    try {
      return ok(Number((await redis.get<string>(keys.version)) ?? 0));
    } catch (err) {
      return unavailable(err);
    }
  }

  async function read(): Promise<StoreResult<StoredDocument | null>> {
    try {
      const [v, doc] = await redis.multi().get<string>(keys.version).get<string>(keys.document).exec<[string | null, string | null]>();
      if (v === null || doc === null) return ok(null);
      return ok({ version: Number(v), document: JSON.parse(doc) as ConfigDocument });
    } catch (err) {
      return unavailable(err);
    }
  }

  async function commit(expected: number, document: ConfigDocument, audit: AuditInput): Promise<StoreResult<number>> {
    const entry = JSON.stringify({ ...audit, version: expected + 1 });
    try {
      const result = Number(await redis.eval(COMMIT_SCRIPT, [keys.version, keys.document, keys.audit], [String(expected), JSON.stringify(document), entry]));
      if (result < 0) return fail('conflict', `store is at version ${-result - 1}, not ${expected}`);
      return ok(result);
    } catch (err) {
      return unavailable(err);
    }
  }

  async function audit(query?: { after?: number; limit?: number }): Promise<StoreResult<AuditEntry[]>> {
    const { after, limit } = auditBounds(query);
    try {
      const rows = await redis.zrange<string[]>(keys.audit, `(${after}`, '+inf', { byScore: true, offset: 0, count: limit });
      return ok(rows.map((r) => JSON.parse(r) as AuditEntry));
    } catch (err) {
      return unavailable(err);
    }
  }

  return { version, read, commit, audit, close: async () => {} };
}
