import { QueryCommand, ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Observation } from '../../schema/observation.ts';
import type { LoggedFeedback, LoggedObservation, LogRead, LogWindow } from './interface.ts';

type Item = Record<string, AttributeValue>;

/** A page cursor: DynamoDB's `LastEvaluatedKey`, as base64url JSON. */
const encode = (key: Item | undefined): string | null => (key ? Buffer.from(JSON.stringify(key)).toString('base64url') : null);
const decode = (cursor: string | null): Item | undefined =>
  cursor === null ? undefined : (JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Item);

/** How the reads reach the table; `parseFeedback` checks a stored feedback record. */
export interface DynamoReadContext {
  client: DynamoDBClient;
  table: string;
  ready: () => Promise<void>;
  parseFeedback: (record: unknown) => LoggedFeedback;
}

/** The sort-key range of observations in `[from, to)` (whole epoch milliseconds). */
export interface SortRange {
  lower: string;
  upper: string;
}

async function attempt<T>(run: () => Promise<{ items: T[]; next: string | null }>): Promise<LogRead<T>> {
  try {
    return { ok: true, page: await run() };
  } catch (error) {
    return { ok: false, error: (error as Error).message || (error as Error).name };
  }
}

const observationOf = (item: Item): LoggedObservation => ({ ...Observation.parse(JSON.parse(item.record?.S ?? 'null')), seq: null });

/**
 * One page of a Scan over the items whose partition key starts with `prefix` (`EXP#`: every observation once;
 * `FB#`: every feedback event). Scan order is the table's, not time; a page may hold fewer than `limit` items.
 */
export function scanPage<T>(ctx: DynamoReadContext, prefix: string, map: (item: Item) => T, cursor: string | null, limit: number) {
  return attempt(async () => {
    await ctx.ready();
    const start = decode(cursor);
    const out = await ctx.client.send(
      new ScanCommand({
        TableName: ctx.table,
        FilterExpression: 'begins_with(pk, :p)',
        ExpressionAttributeValues: { ':p': { S: prefix } },
        ConsistentRead: true,
        Limit: limit,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    return { items: (out.Items ?? []).map(map), next: encode(out.LastEvaluatedKey) };
  });
}

/** Observations in log order (a Scan of the experiment partitions, which hold every observation once). */
export const observationScan = (ctx: DynamoReadContext, cursor: string | null, limit: number): Promise<LogRead<LoggedObservation>> =>
  scanPage(ctx, 'EXP#', observationOf, cursor, limit);

/** Feedback events (a Scan of the feedback partitions). */
export const feedbackScan = (ctx: DynamoReadContext, cursor: string | null, limit: number): Promise<LogRead<LoggedFeedback>> =>
  scanPage(ctx, 'FB#', (item) => ctx.parseFeedback(JSON.parse(item.record?.S ?? 'null')), cursor, limit);

/**
 * One page of a window: a Query of the canary's partition (`CAN#<id>`) or else the experiment's, over the sort-key
 * range of `[from, to)`, oldest first; route, intent and experiment filters apply to the page's items (so a page may
 * hold fewer than `limit`). A window that names neither a canary nor an experiment has no partition to read.
 */
export function windowPage(
  ctx: DynamoReadContext,
  w: LogWindow,
  keys: { partition: string | null; range: SortRange },
  cursor: string | null,
  limit: number,
): Promise<LogRead<LoggedObservation>> {
  if (keys.partition === null)
    return Promise.resolve({ ok: false, error: 'a DynamoDB window read needs a canaryId or an experimentId (it reads one partition)' });
  const pk = keys.partition;
  if (keys.range.lower > keys.range.upper) return Promise.resolve({ ok: true, page: { items: [], next: null } });
  return attempt(async () => {
    await ctx.ready();
    const start = decode(cursor);
    const out = await ctx.client.send(
      new QueryCommand({
        TableName: ctx.table,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :a AND :b',
        ExpressionAttributeValues: { ':pk': { S: pk }, ':a': { S: keys.range.lower }, ':b': { S: keys.range.upper } },
        ConsistentRead: true,
        Limit: limit,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    const items = (out.Items ?? [])
      .map(observationOf)
      .filter(
        (o) =>
          (w.route === undefined || o.route === w.route) &&
          (w.intent === undefined || o.intent === w.intent) &&
          (w.experimentId === undefined || o.experimentId === w.experimentId) &&
          (w.canaryId === undefined || o.canaryId === w.canaryId),
      );
    return { items, next: encode(out.LastEvaluatedKey) };
  });
}
