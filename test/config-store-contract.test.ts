import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { configStoreContract } from '../stores/config/contract.ts';
import { dynamoConfigStore } from '../stores/config/dynamodb.ts';
import { memoryConfigStore } from '../stores/config/memory.ts';
import { sqliteConfigStore } from '../stores/config/sqlite.ts';
import { upstashConfigStore } from '../stores/config/upstash.ts';
import { DYNALITE_CREDENTIALS, startDynalite } from './support/dynalite-server.ts';
import { tempDir } from './support/gateway.ts';
import { deleteStoreKeys } from './support/redis-client.ts';
import { SHARED_REDIS_PORT, sharedRedisMissing } from './support/redis-server.ts';
import { startUpstashShim, type UpstashShim } from './support/upstash-shim.ts';

const redisMissing = await sharedRedisMissing();
let shim: UpstashShim | null = null;
let dynamo: { endpoint: string; close(): Promise<void> } | null = null;
let client: DynamoDBClient | null = null;
const prefixes: string[] = [];

beforeAll(async () => {
  if (redisMissing === null) shim = await startUpstashShim(SHARED_REDIS_PORT);
  dynamo = await startDynalite();
  client = new DynamoDBClient({ region: 'us-east-1', endpoint: dynamo.endpoint, credentials: DYNALITE_CREDENTIALS });
});

afterAll(async () => {
  client?.destroy();
  await shim?.close();
  if (shim) await deleteStoreKeys(SHARED_REDIS_PORT, prefixes);
  await dynamo?.close();
});

configStoreContract('memory', async () => memoryConfigStore());

configStoreContract('sqlite', async () => sqliteConfigStore({ path: join(tempDir('cfg-'), 'config.db') }));

configStoreContract(
  'upstash on redis (through the REST shim)',
  async () => {
    const keyPrefix = `test:cfg:${randomUUID()}:`;
    prefixes.push(keyPrefix);
    return upstashConfigStore({ url: shim!.url, token: shim!.token, keyPrefix });
  },
  { skip: redisMissing },
);

// A page size of 5 makes every read of the 23-entry audit log span several Query pages.
configStoreContract('dynamodb on dynalite', async () =>
  dynamoConfigStore({ client: client!, table: 'gateway-config', createTable: true, keyPrefix: `${randomUUID()}#`, pageSize: 5 }),
);
