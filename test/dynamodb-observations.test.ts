import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeedbackRecord } from '../schema/feedback.ts';
import type { Observation } from '../schema/observation.ts';
import { DurableSink } from '../stores/observations/durable.ts';
import { SpillFile } from '../stores/observations/spill.ts';
import { readObservations } from '../stores/observations/sqlite.ts';
import { openDatabase } from '../stores/sqlite/database.ts';
import { dynamoObservationStore, observationSortKey, type DynamoObservationStore } from '../stores/observations/dynamodb.ts';
import { DYNALITE_CREDENTIALS, startDynalite } from './support/dynalite-server.ts';
import { spawnGateway, stopProcess, tempDir } from './support/gateway.ts';

const T0 = 1_700_000_000_000;
let dynamo: Awaited<ReturnType<typeof startDynalite>>;
let client: DynamoDBClient;
let store: DynamoObservationStore;

function observation(i: number, experimentId: string | null, extra: Partial<Observation> = {}): Observation {
  return {
    // Many requests share one millisecond: the sort key must keep them apart.
    requestId: `req-${i}`,
    time: T0 + Math.floor(i / 10),
    route: 'mangaassist',
    intent: 'faq',
    sessionId: i % 5 ? `s-${i % 50}` : null,
    traffic: 'live',
    experimentId,
    canaryId: null,
    arm: experimentId ? (i % 2 ? 'treatment' : 'control') : 'default',
    configId: 'haiku-35',
    upstreamModel: 'm',
    operation: 'converse',
    streamed: i % 3 === 0,
    status: 200,
    errorCode: null,
    inputTokens: i,
    outputTokens: 2 * i,
    costUsd: i % 7 ? i / 3e4 : null,
    ttftMs: 0.1 + i / 7,
    latencyMs: 10 + i / 3,
    overheadMs: 0.25,
    ...extra,
  };
}

const feedback = (id: string, key: string, value: number, eventTime: number): FeedbackRecord => ({
  eventId: id,
  receivedAt: eventTime,
  scope: 'request',
  key,
  metric: 'quality_score',
  value,
  idempotencyKey: null,
  eventTime,
});

beforeAll(async () => {
  dynamo = await startDynalite();
  client = new DynamoDBClient({ region: 'us-east-1', endpoint: dynamo.endpoint, credentials: DYNALITE_CREDENTIALS });
  store = dynamoObservationStore({ client, table: 'manga_ab_tests', createTable: true, pageSize: 100 });
});

afterAll(async () => {
  await store.close();
  client.destroy();
  await dynamo.close();
});

describe('DynamoDB observation log on dynalite', () => {
  it('keeps every observation of requests in the same millisecond and reads every page back in time order', async () => {
    const all = Array.from({ length: 1_234 }, (_, i) => observation(i, i % 4 === 0 ? null : i % 4 === 1 ? 'exp-a' : 'exp-b'));
    for (let i = 0; i < all.length; i += 500) await store.write({ observations: all.slice(i, i + 500), feedback: [] });
    const a = await store.readExperiment('exp-a');
    const b = await store.readExperiment('exp-b');
    const none = await store.readExperiment(null);
    if (!a.ok || !b.ok || !none.ok) throw new Error('read failed');
    expect([a.items.length, b.items.length, none.items.length]).toEqual([309, 616, 309]);
    const expected = all.filter((o) => o.experimentId === 'exp-a').sort((x, y) => (observationSortKey(x) < observationSortKey(y) ? -1 : 1));
    expect(a.items).toEqual(expected);
    expect(new Set(a.items.map((o) => o.requestId)).size).toBe(a.items.length);
    expect(a.items.every((o, i) => i === 0 || o.time >= a.items[i - 1]!.time)).toBe(true);
  });

  it('reads a time range and writes a replayed batch without duplicating it', async () => {
    const batch = Array.from({ length: 40 }, (_, i) => observation(5_000 + i, 'exp-c'));
    await store.write({ observations: batch, feedback: [] });
    await store.write({ observations: [...batch, batch[0]!], feedback: [] });
    const all = await store.readExperiment('exp-c');
    expect(all.ok && all.items.length).toBe(40);
    const range = await store.readExperiment('exp-c', { from: T0 + 501, to: T0 + 502 });
    expect(range.ok && range.items.map((o) => o.requestId)).toEqual(
      batch.filter((o) => o.time >= T0 + 501 && o.time <= T0 + 502).map((o) => o.requestId),
    );
    expect(range.ok && range.items.length).toBe(20);
  });

  it('keeps the configuration version and expected share, and reads rows written without them', async () => {
    const withFields = [0, 1].map((i) => observation(7_000 + i, 'exp-assign', { configVersion: 41, expectedShare: i % 2 ? 0.2 : 0.8 }));
    const { configVersion: _v, expectedShare: _s, ...old } = observation(7_002, 'exp-assign');
    const unrandomised = observation(7_003, 'exp-assign', { configVersion: 41, expectedShare: null });
    await store.write({ observations: [...withFields, old, unrandomised], feedback: [] });
    const read = await store.readExperiment('exp-assign');
    if (!read.ok) throw new Error(read.error);
    expect(read.items.map((o) => [o.requestId, o.configVersion, o.expectedShare])).toEqual([
      ['req-7000', 41, 0.8],
      ['req-7001', 41, 0.2],
      ['req-7002', undefined, undefined],
      ['req-7003', 41, null],
    ]);
  });

  it('keeps every feedback event, even two at the same event time, oldest first', async () => {
    await store.write({
      observations: [],
      feedback: [
        feedback('e2', 'req-1', 0.9, T0 + 5),
        feedback('e1', 'req-1', 0.4, T0 + 5),
        feedback('e0', 'req-1', 0.1, T0),
        feedback('x', 'req-2', 1, T0),
      ],
    });
    const read = await store.readFeedback('request', 'req-1');
    expect(read.ok && read.items.map((f) => [f.eventId, f.value])).toEqual([
      ['e0', 0.1],
      ['e1', 0.4],
      ['e2', 0.9],
    ]);
  });

  it('rejects writes and probes, and returns read failures as values, when DynamoDB is unreachable', async () => {
    const down = dynamoObservationStore({ endpoint: 'http://127.0.0.1:9', table: 'manga_ab_tests', timeoutMs: 500 });
    await expect(down.write({ observations: [observation(1, null)], feedback: [] })).rejects.toThrow();
    await expect(down.probe()).rejects.toThrow();
    const read = await down.readExperiment('exp-a');
    expect(read.ok).toBe(false);
    await down.close();
  });

  it('fails on a missing table unless asked to create it', async () => {
    const noCreate = dynamoObservationStore({ client, table: 'missing_table' });
    await expect(noCreate.probe()).rejects.toThrow();
    const created = dynamoObservationStore({ client, table: 'created_table', createTable: true });
    await created.write({ observations: [observation(1, 'x')], feedback: [] });
    const read = await created.readExperiment('x');
    expect(read.ok && read.items).toEqual([observation(1, 'x')]);
  });

  it('takes writes from the durable sink: spills while the table is missing, replays each record once when it appears', async () => {
    const spill = new SpillFile(join(tempDir('dynamo-spill-'), 'spill.jsonl'));
    const spilled: number[] = [];
    const sink = new DurableSink(dynamoObservationStore({ client, table: 'late_table' }), spill, {
      retryMs: 20,
      batchSize: 100,
      onSpilled: (n) => spilled.push(n),
    });
    const records = Array.from({ length: 300 }, (_, i) => observation(10_000 + i, 'exp-sink'));
    for (const o of records.slice(0, 150)) sink.record(o);
    sink.recordFeedback([feedback('sink-f1', 'req-10000', 0.7, T0)]);
    await sink.flush();
    expect(sink.stats.storeHealthy).toBe(false);
    expect(spilled.reduce((a, b) => a + b, 0)).toBe(151);

    const creator = dynamoObservationStore({ client, table: 'late_table', createTable: true });
    await creator.probe();
    await new Promise((r) => setTimeout(r, 30));
    for (const o of records.slice(150)) sink.record(o);
    await sink.flush();
    sink.close();
    expect(sink.stats).toMatchObject({ stored: 301, replayed: 151, dropped: 0, storeHealthy: true });
    expect(spill.hasRecords()).toBe(false);
    const read = await creator.readExperiment('exp-sink');
    expect(read.ok && read.items.map((o) => o.requestId).sort()).toEqual(records.map((o) => o.requestId).sort());
    const fb = await creator.readFeedback('request', 'req-10000');
    expect(fb.ok && fb.items.map((f) => f.eventId)).toEqual(['sink-f1']);
  });

  it("receives the gateway's observations with OBSERVATION_STORE=dynamodb, beside the SQLite store", async () => {
    const dataDir = tempDir('gw-dynamo-');
    const gw = await spawnGateway({
      DATA_DIR: dataDir,
      OBSERVATION_STORE: 'dynamodb',
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      DYNAMODB_OBSERVATIONS_TABLE: 'gateway_log',
      AWS_ACCESS_KEY_ID: DYNALITE_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: DYNALITE_CREDENTIALS.secretAccessKey,
      CANARY_CONTROLLER: 'off',
    });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${gw.url}/model/mangaassist/converse`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-session-id': `dyn-${i}`, 'x-intent': 'faq' },
        body: JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'hello' }] }] }),
      });
      await res.arrayBuffer();
      expect(res.status).toBe(200);
      ids.push(res.headers.get('x-gateway-request-id')!);
    }
    expect(gw.output()).toContain('copied to DynamoDB table gateway_log');
    expect(await stopProcess(gw.child)).toBe(0);
    const log = dynamoObservationStore({ client, table: 'gateway_log' });
    const read = await log.readExperiment(null);
    expect(read.ok && read.items.map((o) => o.requestId).sort()).toEqual([...ids].sort());
    const db = openDatabase(join(dataDir, 'gateway.db'), { readonly: true });
    expect(
      readObservations(db)
        .map((o) => o.requestId)
        .sort(),
    ).toEqual([...ids].sort());
    db.close();
  });
});
