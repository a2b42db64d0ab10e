import { Redis } from '@upstash/redis';
import type { AuditEntry, ConfigDocument } from '../../schema/admin.ts';
import {
  auditBounds,
  fail,
  logBounds,
  ok,
  unavailable,
  type AuditInput,
  type ConfigStoreWithRecords,
  type ControllerRecords,
  type StoreResult,
  type StoredDocument,
} from './interface.ts';

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

// Lease: free, expired or renewed by its holder -> taken; the answer is "held<TAB>expiresAt<TAB>holder".
const LEASE_SCRIPT = `
local holder = redis.call('HGET', KEYS[1], 'holder')
local expires = tonumber(redis.call('HGET', KEYS[1], 'expiresAt') or '0')
local now = tonumber(ARGV[2])
if holder and holder ~= ARGV[1] and expires > now then return '0\t' .. tostring(expires) .. '\t' .. holder end
local nextExpiry = now + tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'holder', ARGV[1], 'expiresAt', tostring(nextExpiry))
return '1\t' .. tostring(nextExpiry) .. '\t' .. ARGV[1]`;

const RELEASE_SCRIPT = `
if redis.call('HGET', KEYS[1], 'holder') == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end
return 0`;

const GET_RECORD_SCRIPT = `
local fields = redis.call('HMGET', KEYS[1], 'revision', 'value')
if not fields[1] then return '' end
return fields[1] .. '\t' .. fields[2]`;

// Compare-and-set of a record: returns the new revision, or -current - 1 on a mismatch.
const PUT_RECORD_SCRIPT = `
local current = tonumber(redis.call('HGET', KEYS[1], 'revision') or '0')
if current ~= tonumber(ARGV[1]) then return -current - 1 end
redis.call('HSET', KEYS[1], 'revision', tostring(current + 1), 'value', ARGV[2])
return current + 1`;

/** The config store on Upstash Redis: a version key, a document key and the audit log as a sorted set. */
export function upstashConfigStore(options: UpstashConfigStoreOptions): ConfigStoreWithRecords {
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
      const result = Number(
        await redis.eval(COMMIT_SCRIPT, [keys.version, keys.document, keys.audit], [String(expected), JSON.stringify(document), entry]),
      );
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

  return { version, read, commit, audit, ...upstashControllerRecords(redis, prefix), close: async () => {} };
}

function upstashControllerRecords(redis: Redis, prefix: string): ControllerRecords {
  const attempt = async <T>(fn: () => Promise<T>): Promise<StoreResult<T>> => {
    try {
      return ok(await fn());
    } catch (err) {
      return unavailable(err);
    }
  };
  return {
    acquireLease: (name, holder, ttlMs, now) =>
      attempt(async () => {
        const answer = String(await redis.eval(LEASE_SCRIPT, [`${prefix}lease:${name}`], [holder, String(now), String(ttlMs)]));
        const [held, expiresAt, current] = answer.split('\t');
        return { held: held === '1', holder: current ?? null, expiresAt: Number(expiresAt) };
      }),
    releaseLease: (name, holder) =>
      attempt(async () => Number(await redis.eval(RELEASE_SCRIPT, [`${prefix}lease:${name}`], [holder])) === 1),
    getRecord: (key) =>
      attempt(async () => {
        const answer = await redis.eval(GET_RECORD_SCRIPT, [`${prefix}record:${key}`], []);
        if (typeof answer !== 'string' || answer === '') return null;
        const tab = answer.indexOf('\t');
        return { revision: Number(answer.slice(0, tab)), value: JSON.parse(answer.slice(tab + 1)) as unknown };
      }),
    putRecord: async (key, value, expected) => {
      const result = await attempt(async () =>
        Number(await redis.eval(PUT_RECORD_SCRIPT, [`${prefix}record:${key}`], [String(expected), JSON.stringify(value)])),
      );
      if (result.ok && result.value < 0) return fail('conflict', `record ${key} is at revision ${-result.value - 1}, not ${expected}`);
      return result;
    },
    appendLog: (key, entry) => attempt(async () => Number(await redis.rpush(`${prefix}log:${key}`, JSON.stringify(entry)))),
    readLog: (key, query) =>
      attempt(async () => {
        const { after, limit } = logBounds(query);
        const rows = await redis.lrange<string>(`${prefix}log:${key}`, after, after + limit - 1);
        return rows.map((r, i) => ({ seq: after + i + 1, entry: JSON.parse(r) as unknown }));
      }),
  };
}
