import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { dynamoObservationStore } from '../stores/observations/dynamodb.ts';
import { observationLogContract, type LogFixture } from '../stores/observations/log-contract.ts';
import { postgresObservationLog } from '../stores/observations/postgres.ts';
import type { ObservationLog } from '../stores/observations/interface.ts';
import { sqliteObservationLog } from '../stores/observations/sqlite-log.ts';
import { sqliteThreadRecordStore } from '../stores/observations/sqlite-thread.ts';
import { openDatabase } from '../stores/sqlite/database.ts';
import { DYNALITE_CREDENTIALS, startDynalite } from './support/dynalite-server.ts';
import { tempDir } from './support/gateway.ts';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.ts';
import { PG_URL, postgresMissing, testSchema } from './warehouse-support.ts';

const pgMissing = await postgresMissing();
let dynamo: Awaited<ReturnType<typeof startDynalite>>;
let tables = 0;

beforeAll(async () => {
  dynamo = await startDynalite();
});

afterAll(async () => {
  await dynamo?.close();
});

/** Cuts the service off behind the proxy until restored. */
const proxyOutage = (proxy: TcpProxy) => async () => {
  await proxy.stop();
  return { restore: () => proxy.start() };
};

observationLogContract('sqlite', async (): Promise<LogFixture> => {
  const path = join(tempDir('log-'), 'gateway.db');
  const db = openDatabase(path, { busyTimeoutMs: 20 });
  const others: ReturnType<typeof openDatabase>[] = [];
  return {
    log: sqliteObservationLog(db),
    replica: async () => {
      const other = openDatabase(path, { busyTimeoutMs: 2_000 });
      others.push(other);
      return sqliteObservationLog(other);
    },
    // Another connection holding the write lock: every write of the log fails with SQLITE_BUSY.
    outage: async () => {
      const blocker = openDatabase(path);
      blocker.exec('BEGIN EXCLUSIVE');
      return {
        restore: async () => {
          blocker.exec('COMMIT');
          blocker.close();
        },
      };
    },
    outageBlocksReads: false,
    close: async () => {
      db.close();
      for (const other of others) if (other.open) other.close();
    },
  };
});

/** The SQLite log as the Node gateway writes it: appends through the worker-thread store, reads on the process's connection. */
function threadWrittenLog(path: string, busyTimeoutMs: number): ObservationLog {
  const db = openDatabase(path, { busyTimeoutMs });
  const writer = sqliteThreadRecordStore(path, { busyTimeoutMs });
  return {
    ...sqliteObservationLog(db),
    write: (batch) => writer.write(batch),
    probe: () => writer.probe(),
    close: async () => {
      await writer.close();
      db.close();
    },
  };
}

observationLogContract('sqlite, writes in a worker thread', async (): Promise<LogFixture> => {
  const path = join(tempDir('log-thread-'), 'gateway.db');
  const log = threadWrittenLog(path, 20);
  const others: ObservationLog[] = [];
  return {
    log,
    replica: async () => {
      const other = threadWrittenLog(path, 2_000);
      others.push(other);
      return other;
    },
    outage: async () => {
      const blocker = openDatabase(path);
      blocker.exec('BEGIN EXCLUSIVE');
      return {
        restore: async () => {
          blocker.exec('COMMIT');
          blocker.close();
        },
      };
    },
    outageBlocksReads: false,
    close: async () => {
      await log.close();
      for (const other of others) await other.close();
    },
  };
});

observationLogContract(
  'postgres',
  async (): Promise<LogFixture> => {
    const { schema, drop } = testSchema('log');
    const proxy = await startTcpProxy(Number(new URL(PG_URL).port || 5432), new URL(PG_URL).hostname);
    const viaProxy = new URL(PG_URL);
    viaProxy.port = String(proxy.port);
    const log = postgresObservationLog({ url: viaProxy.toString(), schema, connectTimeoutMs: 1_000 });
    const replicas: ReturnType<typeof postgresObservationLog>[] = [];
    return {
      log,
      replica: async () => {
        const other = postgresObservationLog({ url: PG_URL, schema });
        replicas.push(other);
        return other;
      },
      outage: proxyOutage(proxy),
      outageBlocksReads: true,
      close: async () => {
        await log.close();
        for (const other of replicas) await other.close().catch(() => {});
        await proxy.close();
        await drop();
      },
    };
  },
  { skip: pgMissing },
);

observationLogContract('dynamodb on dynalite', async (): Promise<LogFixture> => {
  const table = `log_${++tables}`;
  const proxy = await startTcpProxy(Number(new URL(dynamo.endpoint).port));
  const client = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${proxy.port}`,
    credentials: DYNALITE_CREDENTIALS,
    maxAttempts: 1,
    requestHandler: { requestTimeout: 2_000, connectionTimeout: 500 },
  });
  const direct = new DynamoDBClient({ region: 'us-east-1', endpoint: dynamo.endpoint, credentials: DYNALITE_CREDENTIALS });
  return {
    log: dynamoObservationStore({ client, table, createTable: true, pageSize: 7 }),
    replica: async () => dynamoObservationStore({ client: direct, table, createTable: true, pageSize: 7 }),
    outage: proxyOutage(proxy),
    outageBlocksReads: true,
    close: async () => {
      client.destroy();
      direct.destroy();
      await proxy.close();
    },
  };
});
