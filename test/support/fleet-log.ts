import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import pg from 'pg';
import { dynamoObservationStore } from '../../stores/observations/dynamodb.ts';
import { readAll } from '../../stores/observations/interface.ts';
import { PG_URL, postgresMissing, testSchema } from '../warehouse-support.ts';
import { DYNALITE_CREDENTIALS, startDynalite } from './dynalite-server.ts';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.ts';

/** One live canary observation of the shared log, as a fleet test compares it with what it sent. */
export interface FleetLogRow {
  request_id: string;
  replica_id: string;
  arm: 'canary' | 'baseline';
  session_id: string | null;
  error_code: string | null;
  served_config_id: string | null;
  latency_ms: number;
  cost_usd: number | null;
}

/**
 * A shared observation log for a fleet test: the service behind it, one TCP proxy per replica (so one replica's log
 * can go down alone), the environment that points a replica at it, and a reader of a canary's window rows.
 */
export interface FleetLog {
  /** For test names. */
  name: string;
  /** What the gateway prints after `windows from` at start. */
  banner: RegExp;
  /** Why the log cannot run here (skip reason), or null. */
  missing(): Promise<string | null>;
  /** Starts the service and `replicas` proxies in front of it. */
  start(replicas: number): Promise<void>;
  /** The proxies, one per replica, in replica order. */
  proxies: TcpProxy[];
  /** The log's part of replica `k`'s environment. */
  env(k: number): Record<string, string>;
  /** The canary's live rows in `[from, to)`, as the controller's window read selects them. */
  windowRows(canaryId: string, from: number, to: number): Promise<FleetLogRow[]>;
  close(): Promise<void>;
}

/** The PostgreSQL log: a schema of its own on the shared server. */
export function postgresFleetLog(): FleetLog {
  const { schema, drop } = testSchema('fleet_canary');
  const proxies: TcpProxy[] = [];
  let started = false;
  return {
    name: 'PostgreSQL',
    banner: /windows from PostgreSQL/,
    missing: postgresMissing,
    proxies,
    async start(replicas) {
      started = true;
      const target = new URL(PG_URL);
      for (let k = 0; k < replicas; k++) proxies.push(await startTcpProxy(Number(target.port || 5432), target.hostname));
    },
    env(k) {
      const log = new URL(PG_URL);
      log.port = String(proxies[k]!.port);
      return { OBSERVATION_LOG: log.toString(), OBSERVATION_LOG_SCHEMA: schema };
    },
    async windowRows(canaryId, from, to) {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      try {
        const sql = `SELECT request_id, replica_id, arm, session_id, error_code, served_config_id, latency_ms, cost_usd
          FROM ${schema}.observations WHERE canary_id = $1 AND traffic = 'live' AND arm IN ('canary', 'baseline') AND time >= $2 AND time < $3`;
        return (await client.query(sql, [canaryId, from, to])).rows.map((r) => ({
          ...r,
          latency_ms: Number(r.latency_ms),
          cost_usd: r.cost_usd === null ? null : Number(r.cost_usd),
        }));
      } finally {
        await client.end();
      }
    },
    async close() {
      await Promise.all(proxies.map((p) => p.close()));
      if (started) await drop();
    },
  };
}

/** The DynamoDB log on a dynalite server in this process (its table created by the first replica). */
export function dynamoFleetLog(): FleetLog {
  const TABLE = 'fleet_canary_log';
  const proxies: TcpProxy[] = [];
  let dynamo: Awaited<ReturnType<typeof startDynalite>> | null = null;
  let client: DynamoDBClient | null = null;
  return {
    name: 'DynamoDB (dynalite)',
    banner: /windows from dynamodb/,
    missing: async () => null,
    proxies,
    async start(replicas) {
      dynamo = await startDynalite();
      client = new DynamoDBClient({ region: 'us-east-1', endpoint: dynamo.endpoint, credentials: DYNALITE_CREDENTIALS });
      const port = Number(new URL(dynamo.endpoint).port);
      for (let k = 0; k < replicas; k++) proxies.push(await startTcpProxy(port));
    },
    env: (k) => ({
      OBSERVATION_LOG: 'dynamodb',
      DYNAMODB_ENDPOINT: `http://127.0.0.1:${proxies[k]!.port}`,
      DYNAMODB_OBSERVATIONS_TABLE: TABLE,
      AWS_ACCESS_KEY_ID: DYNALITE_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: DYNALITE_CREDENTIALS.secretAccessKey,
    }),
    async windowRows(canaryId, from, to) {
      const log = dynamoObservationStore({ client: client!, table: TABLE });
      const all = await readAll((cursor) => log.window({ canaryId, from, to }, cursor, 1_000));
      return all
        .filter((o) => o.traffic === 'live' && (o.arm === 'canary' || o.arm === 'baseline'))
        .map((o) => ({
          request_id: o.requestId,
          replica_id: o.replicaId ?? '',
          arm: o.arm as 'canary' | 'baseline',
          session_id: o.sessionId,
          error_code: o.errorCode,
          served_config_id: o.servedConfigId ?? null,
          latency_ms: o.latencyMs,
          cost_usd: o.costUsd,
        }));
    },
    async close() {
      await Promise.all(proxies.map((p) => p.close()));
      client?.destroy();
      await dynamo?.close();
    },
  };
}
