import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  QueryCommand,
  ResourceNotFoundException,
  waitUntilTableExists,
  type AttributeValue,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { REQUEST_METRICS, SESSION_METRICS, type FeedbackRecord } from '../../schema/feedback.ts';
import { Observation } from '../../schema/observation.ts';
import { feedbackScan, observationScan, windowPage, type DynamoReadContext } from './dynamodb-reads.ts';
import {
  canaryKey,
  experimentKey,
  feedbackItem,
  feedbackKey,
  feedbackSortKey,
  observationItems,
  pad,
  TIME_DIGITS,
} from './dynamodb-items.ts';
import type { ObservationLog, RecordBatch } from './interface.ts';

export { canaryKey, experimentKey, feedbackKey, feedbackSortKey, observationSortKey } from './dynamodb-items.ts';

/** Options of the DynamoDB observation log. */
export interface DynamoObservationStoreOptions {
  /** Table with string partition key `pk` and string sort key `sk`. Default `manga_ab_tests`. */
  table?: string;
  /** A client to use; otherwise one is built from `region`, `endpoint` and the default credential chain. */
  client?: DynamoDBClient;
  region?: string;
  /** Endpoint override (DynamoDB Local, dynalite). */
  endpoint?: string;
  /** Create the table (on-demand billing) at first use when it is missing. */
  createTable?: boolean;
  /** Items per Query page. Default 1,000. */
  pageSize?: number;
  /** Time allowed per request when this store builds its own client. Default 2,000 ms. */
  timeoutMs?: number;
  /** Rounds of retrying items DynamoDB left unprocessed (throttling) before a write fails. Default 8. */
  maxRetries?: number;
}

export { NO_EXPERIMENT } from './dynamodb-items.ts';
/** A read's items, or why it failed. */
export type ReadResult<T> = { ok: true; items: T[] } | { ok: false; error: string };

/**
 * The observation log on DynamoDB, as the MangaAssist document lays out its table but without its traps: writes are
 * asynchronous and throw when the batch cannot be stored (like `RecordStore.write`). Every observation is an item in
 * its experiment's partition (`EXP#<id>`) and, when it belongs to a canary, a copy in the canary's (`CAN#<id>`), both
 * under the sort key `OBS#<time>#<request id>`; a replayed record rewrites the same items, so it is kept once.
 */
export interface DynamoObservationStore extends ObservationLog {
  write(batch: RecordBatch): Promise<void>;
  /** Rejects unless the table answers. */
  probe(): Promise<void>;
  /** Observations of one experiment (null: requests outside experiments), oldest first, every page read. */
  readExperiment(experimentId: string | null, range?: { from?: number; to?: number }): Promise<ReadResult<Observation>>;
  /** Feedback events about one request or session, oldest event first, every page read. */
  readFeedback(scope: FeedbackRecord['scope'], key: string): Promise<ReadResult<FeedbackRecord>>;
  close(): Promise<void>;
}

/** A stored feedback event, checked when read back. */
const StoredFeedback = z.object({
  eventId: z.string(),
  receivedAt: z.number(),
  scope: z.enum(['request', 'session']),
  key: z.string(),
  metric: z.enum([...REQUEST_METRICS, ...SESSION_METRICS]),
  value: z.number(),
  idempotencyKey: z.string().nullable(),
  eventTime: z.number(),
});

/** Creates the DynamoDB observation log. */
export function dynamoObservationStore(options: DynamoObservationStoreOptions = {}): DynamoObservationStore {
  const client =
    options.client ??
    new DynamoDBClient({
      region: options.region ?? 'us-east-1',
      requestHandler: { requestTimeout: options.timeoutMs ?? 2_000, connectionTimeout: 1_000 },
      maxAttempts: 2,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    });
  const owned = !options.client;
  const TableName = options.table ?? 'manga_ab_tests';
  const pageSize = options.pageSize ?? 1_000;
  const maxRetries = options.maxRetries ?? 8;
  let ready: Promise<void> | undefined;

  async function ensureTable(): Promise<void> {
    try {
      await client.send(new DescribeTableCommand({ TableName }));
    } catch (err) {
      if (!(err instanceof ResourceNotFoundException) || !options.createTable) throw err;
      await client
        .send(
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
        )
        .catch((e: unknown) => {
          if ((e as Error).name !== 'ResourceInUseException') throw e;
        });
      await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1 }, { TableName });
    }
  }

  const table = (): Promise<void> =>
    (ready ??= ensureTable().catch((err: unknown) => {
      ready = undefined;
      throw err;
    }));

  async function writeRequests(requests: WriteRequest[]): Promise<void> {
    for (let i = 0; i < requests.length; i += 25) {
      let pending = requests.slice(i, i + 25);
      for (let attempt = 0; pending.length; attempt++) {
        if (attempt > maxRetries) throw new Error(`DynamoDB left ${pending.length} items unprocessed after ${maxRetries} retries`);
        if (attempt) await new Promise((r) => setTimeout(r, Math.min(1_000, 25 * 2 ** attempt)));
        const out = await client.send(new BatchWriteItemCommand({ RequestItems: { [TableName]: pending } }));
        pending = out.UnprocessedItems?.[TableName] ?? [];
      }
    }
  }

  async function queryAll(values: Record<string, AttributeValue>, condition: string): Promise<Record<string, AttributeValue>[]> {
    const items: Record<string, AttributeValue>[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await client.send(
        new QueryCommand({
          TableName,
          KeyConditionExpression: condition,
          ExpressionAttributeValues: values,
          ConsistentRead: true,
          Limit: pageSize,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }

  async function read<T>(run: () => Promise<T[]>): Promise<ReadResult<T>> {
    try {
      await table();
      return { ok: true, items: await run() };
    } catch (error) {
      return { ok: false, error: (error as Error).message || (error as Error).name };
    }
  }

  const reads: DynamoReadContext = {
    client,
    table: TableName,
    ready: table,
    parseFeedback: (record) => ({ ...StoredFeedback.parse(record), seq: null }),
  };
  return {
    kind: 'dynamodb',
    ordered: false,
    page: (cursor, limit) => observationScan(reads, cursor, limit),
    feedbackPage: (cursor, limit) => feedbackScan(reads, cursor, limit),
    window: (w, cursor, limit) =>
      windowPage(
        reads,
        w,
        {
          partition: w.canaryId !== undefined ? canaryKey(w.canaryId) : w.experimentId !== undefined ? experimentKey(w.experimentId) : null,
          range: { lower: `OBS#${pad(w.from)}#`, upper: `OBS#${pad(w.to - 1)}#\uffff` },
        },
        cursor,
        limit,
      ),
    async write(batch) {
      await table();
      // One batch must not name an item twice; a replayed record rewrites the same item with the same content.
      const items = new Map<string, Record<string, AttributeValue>>();
      for (const o of batch.observations) {
        for (const [key, item] of observationItems(o)) items.set(key, item);
      }
      for (const f of batch.feedback) items.set(`${feedbackKey(f.scope, f.key)}\u0000${feedbackSortKey(f)}`, feedbackItem(f));
      await writeRequests([...items.values()].map((Item) => ({ PutRequest: { Item } })));
    },
    async probe() {
      ready = undefined;
      await table();
    },
    readExperiment: (experimentId, range = {}) =>
      read(async () => {
        const pk = experimentKey(experimentId);
        const items =
          range.from === undefined && range.to === undefined
            ? await queryAll({ ':pk': { S: pk }, ':p': { S: 'OBS#' } }, 'pk = :pk AND begins_with(sk, :p)')
            : await queryAll(
                {
                  ':pk': { S: pk },
                  ':a': { S: `OBS#${pad(range.from ?? 0)}#` },
                  ':b': { S: `OBS#${pad(range.to ?? 10 ** TIME_DIGITS - 1)}#\uffff` },
                },
                'pk = :pk AND sk BETWEEN :a AND :b',
              );
        return items.map((i) => Observation.parse(JSON.parse(i.record?.S ?? 'null')));
      }),
    readFeedback: (scope, key) =>
      read(async () => {
        const items = await queryAll({ ':pk': { S: feedbackKey(scope, key) } }, 'pk = :pk');
        return items.map((i): FeedbackRecord => StoredFeedback.parse(JSON.parse(i.record?.S ?? 'null')));
      }),
    close: async () => void (owned && client.destroy()),
  };
}
