import { randomUUID } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ResourceNotFoundException,
  UpdateItemCommand,
  waitUntilTableExists,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
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
  type Lease,
  type StoreResult,
  type StoredDocument,
} from './interface.ts';

/** Options of the DynamoDB config store. */
export interface DynamoConfigStoreOptions {
  /** Table with a string partition key `pk` and a string sort key `sk`. */
  table: string;
  /** A client to use; otherwise one is built from `region` and `endpoint` with the default credential chain. */
  client?: DynamoDBClient;
  region?: string;
  /** Endpoint override (DynamoDB Local, dynalite). */
  endpoint?: string;
  /** Prefix of the partition keys, so that several deployments (or tests) can share a table. */
  keyPrefix?: string;
  /** Items per Query page when reading the audit log. */
  pageSize?: number;
  /** Create the table at first use when it is missing. */
  createTable?: boolean;
  /** Time allowed per request when this store builds its own client; 2,000 ms by default. */
  timeoutMs?: number;
}

const pad = (n: number): string => String(n).padStart(12, '0');

/**
 * Whether `stored` is, attribute for attribute, the item we tried to put. Every conditional put carries a
 * fresh `writeId`, so an equal item is our own write and never another writer's identical one.
 */
function isOwnWrite(stored: Record<string, AttributeValue> | undefined, item: Record<string, AttributeValue>): boolean {
  if (!stored || Object.keys(stored).length !== Object.keys(item).length) return false;
  return Object.entries(item).every(([name, value]) => JSON.stringify(stored[name]) === JSON.stringify(value));
}

/**
 * Puts `Item` only while its `attr` is still `expected` (the item absent for 0). True when our item is stored,
 * also when the SDK's retry of a write that landed before a time-out failed its condition (the stored item
 * carries our write id); false on a conflict.
 */
async function conditionalPut(
  client: DynamoDBClient,
  TableName: string,
  Item: Record<string, AttributeValue>,
  attr: string,
  expected: number,
): Promise<boolean> {
  try {
    await client.send(
      new PutItemCommand({
        TableName,
        Item,
        ...(expected === 0
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : {
              ConditionExpression: '#a = :expected',
              ExpressionAttributeNames: { '#a': attr },
              ExpressionAttributeValues: { ':expected': { N: String(expected) } },
            }),
      }),
    );
    return true;
  } catch (err) {
    if (!(err instanceof ConditionalCheckFailedException)) throw err;
    const stored = await client.send(new GetItemCommand({ TableName, Key: { pk: Item.pk!, sk: Item.sk! }, ConsistentRead: true }));
    return isOwnWrite(stored.Item, Item);
  }
}

/**
 * The config store on DynamoDB. The document item carries the global version and is written with a
 * condition on it (optimistic concurrency); audit entries are items sorted by version, read page by page.
 * A conditional put that fails its condition only because the SDK retried our own write (its first attempt
 * landed, its answer timed out) is a success, not a conflict: the stored item is read back and compared.
 */
export function dynamoConfigStore(options: DynamoConfigStoreOptions): ConfigStoreWithRecords {
  const client =
    options.client ??
    new DynamoDBClient({
      region: options.region ?? 'us-east-1',
      requestHandler: { requestTimeout: options.timeoutMs ?? 2_000, connectionTimeout: 1_000 },
      maxAttempts: 2,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    });
  const owned = !options.client;
  const TableName = options.table;
  const prefix = options.keyPrefix ?? 'gw#';
  const documentKey = { pk: { S: `${prefix}config` }, sk: { S: 'document' } };
  const auditPk = `${prefix}audit`;
  const pageSize = options.pageSize ?? 100;
  let ready: Promise<void> | undefined;

  async function ensureTable(): Promise<void> {
    if (!options.createTable) return;
    try {
      await client.send(new DescribeTableCommand({ TableName }));
    } catch (err) {
      if (!(err instanceof ResourceNotFoundException)) throw err;
      await client.send(
        new CreateTableCommand({
          TableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'S' },
          ],
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
        }),
      );
      await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1 }, { TableName });
    }
  }

  async function attempt<T>(fn: () => Promise<StoreResult<T>>): Promise<StoreResult<T>> {
    try {
      if (!ready) {
        ready = ensureTable().catch((err: unknown) => {
          ready = undefined;
          throw err;
        });
      }
      await ready;
      return await fn();
    } catch (err) {
      return unavailable(err);
    }
  }

  async function getDocument(projection?: string): Promise<Record<string, AttributeValue> | undefined> {
    const out = await client.send(
      new GetItemCommand({
        TableName,
        Key: documentKey,
        ConsistentRead: true,
        ...(projection ? { ProjectionExpression: projection } : {}),
      }),
    );
    return out.Item;
  }

  const version = (): Promise<StoreResult<number>> => attempt(async () => ok(Number((await getDocument('version'))?.version?.N ?? 0)));

  const read = (): Promise<StoreResult<StoredDocument | null>> =>
    attempt(async () => {
      const item = await getDocument();
      if (!item?.document?.S) return ok(null);
      return ok({ version: Number(item.version?.N ?? 0), document: JSON.parse(item.document.S) as ConfigDocument });
    });

  const commit = (expected: number, document: ConfigDocument, audit: AuditInput): Promise<StoreResult<number>> =>
    attempt(async () => {
      const next = expected + 1;
      const Item = {
        ...documentKey,
        version: { N: String(next) },
        document: { S: JSON.stringify(document) },
        writeId: { S: randomUUID() },
      };
      if (!(await conditionalPut(client, TableName, Item, 'version', expected)))
        return fail('conflict', `store is no longer at version ${expected}`);
      // The version is taken by the conditional write above, so no other writer can use this sort key.
      await client.send(
        new PutItemCommand({
          TableName,
          Item: { pk: { S: auditPk }, sk: { S: pad(next) }, entry: { S: JSON.stringify({ ...audit, version: next }) } },
        }),
      );
      return ok(next);
    });

  const audit = (query?: { after?: number; limit?: number }): Promise<StoreResult<AuditEntry[]>> =>
    attempt(async () => {
      const { after, limit } = auditBounds(query);
      const entries: AuditEntry[] = [];
      let start: Record<string, AttributeValue> | undefined;
      do {
        const page = await client.send(
          new QueryCommand({
            TableName,
            KeyConditionExpression: 'pk = :pk AND sk > :after',
            ExpressionAttributeValues: { ':pk': { S: auditPk }, ':after': { S: pad(after) } },
            ConsistentRead: true,
            Limit: Math.min(pageSize, limit - entries.length),
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
        for (const item of page.Items ?? []) if (item.entry?.S) entries.push(JSON.parse(item.entry.S) as AuditEntry);
        start = page.LastEvaluatedKey;
      } while (start && entries.length < limit);
      return ok(entries);
    });

  const records = dynamoControllerRecords({ client, TableName, prefix, pageSize, attempt });
  return { version, read, commit, audit, ...records, close: async () => void (owned && client.destroy()) };
}

interface RecordsContext {
  client: DynamoDBClient;
  TableName: string;
  prefix: string;
  pageSize: number;
  attempt: <T>(fn: () => Promise<StoreResult<T>>) => Promise<StoreResult<T>>;
}

/** Controller records as items of the config table: conditional writes make leases and records atomic. */
function dynamoControllerRecords({ client, TableName, prefix, pageSize, attempt }: RecordsContext): ControllerRecords {
  const leaseKey = (name: string) => ({ pk: { S: `${prefix}lease` }, sk: { S: name } });
  const recordKey = (key: string) => ({ pk: { S: `${prefix}record` }, sk: { S: key } });
  const conditionFailed = (err: unknown): boolean => err instanceof ConditionalCheckFailedException;
  return {
    acquireLease: (name, holder, ttlMs, now) =>
      attempt<Lease>(async () => {
        const expiresAt = now + ttlMs;
        try {
          await client.send(
            new PutItemCommand({
              TableName,
              Item: { ...leaseKey(name), holder: { S: holder }, expiresAt: { N: String(expiresAt) } },
              ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now OR holder = :holder',
              ExpressionAttributeValues: { ':now': { N: String(now) }, ':holder': { S: holder } },
            }),
          );
          return ok({ held: true, holder, expiresAt });
        } catch (err) {
          if (!conditionFailed(err)) throw err;
          const out = await client.send(new GetItemCommand({ TableName, Key: leaseKey(name), ConsistentRead: true }));
          return ok({ held: false, holder: out.Item?.holder?.S ?? null, expiresAt: Number(out.Item?.expiresAt?.N ?? 0) });
        }
      }),
    releaseLease: (name, holder) =>
      attempt(async () => {
        try {
          await client.send(
            new DeleteItemCommand({
              TableName,
              Key: leaseKey(name),
              ConditionExpression: 'holder = :holder',
              ExpressionAttributeValues: { ':holder': { S: holder } },
            }),
          );
          return ok(true);
        } catch (err) {
          if (conditionFailed(err)) return ok(false);
          throw err;
        }
      }),
    getRecord: (key) =>
      attempt(async () => {
        const out = await client.send(new GetItemCommand({ TableName, Key: recordKey(key), ConsistentRead: true }));
        if (!out.Item?.value?.S) return ok(null);
        return ok({ revision: Number(out.Item.revision?.N ?? 0), value: JSON.parse(out.Item.value.S) as unknown });
      }),
    putRecord: (key, value, expected) =>
      attempt(async () => {
        const Item = {
          ...recordKey(key),
          revision: { N: String(expected + 1) },
          value: { S: JSON.stringify(value) },
          writeId: { S: randomUUID() },
        };
        if (await conditionalPut(client, TableName, Item, 'revision', expected)) return ok(expected + 1);
        return fail('conflict', `record ${key} is no longer at revision ${expected}`);
      }),
    appendLog: (key, entry) =>
      attempt(async () => {
        // A counter item hands out sequence numbers, so concurrent appends never share a sort key.
        const counter = await client.send(
          new UpdateItemCommand({
            TableName,
            Key: { pk: { S: `${prefix}logseq` }, sk: { S: key } },
            UpdateExpression: 'ADD seq :one',
            ExpressionAttributeValues: { ':one': { N: '1' } },
            ReturnValues: 'UPDATED_NEW',
          }),
        );
        const seq = Number(counter.Attributes?.seq?.N ?? 0);
        await client.send(
          new PutItemCommand({
            TableName,
            Item: { pk: { S: `${prefix}log#${key}` }, sk: { S: pad(seq) }, entry: { S: JSON.stringify(entry) } },
          }),
        );
        return ok(seq);
      }),
    readLog: (key, query) =>
      attempt(async () => {
        const { after, limit } = logBounds(query);
        const entries: { seq: number; entry: unknown }[] = [];
        let start: Record<string, AttributeValue> | undefined;
        do {
          const page = await client.send(
            new QueryCommand({
              TableName,
              KeyConditionExpression: 'pk = :pk AND sk > :after',
              ExpressionAttributeValues: { ':pk': { S: `${prefix}log#${key}` }, ':after': { S: pad(after) } },
              ConsistentRead: true,
              Limit: Math.min(pageSize, limit - entries.length),
              ...(start ? { ExclusiveStartKey: start } : {}),
            }),
          );
          for (const item of page.Items ?? [])
            if (item.entry?.S && item.sk?.S) entries.push({ seq: Number(item.sk.S), entry: JSON.parse(item.entry.S) as unknown });
          start = page.LastEvaluatedKey;
        } while (start && entries.length < limit);
        return ok(entries);
      }),
  };
}
