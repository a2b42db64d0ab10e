import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoWindowSource } from '../admin/canary/window-source-dynamodb.ts';
import { figuresOfRows, type WindowRow } from '../admin/canary/window-source.ts';
import type { FeedbackRecord } from '../schema/feedback.ts';
import type { Observation } from '../schema/observation.ts';
import { dynamoObservationStore, observationSortKey } from '../stores/observations/dynamodb.ts';
import { logObservation } from '../stores/observations/log-contract.ts';
import { DYNALITE_CREDENTIALS, startDynalite } from './support/dynalite-server.ts';

const T0 = 1_760_000_000_000;
let dynamo: Awaited<ReturnType<typeof startDynalite>>;
let client: DynamoDBClient;

beforeAll(async () => {
  dynamo = await startDynalite();
  client = new DynamoDBClient({ region: 'us-east-1', endpoint: dynamo.endpoint, credentials: DYNALITE_CREDENTIALS });
});

afterAll(async () => {
  client?.destroy();
  await dynamo?.close();
});

/** A canary request: arms, sessions (some missing), failures, unpriced and eval/warm-up traffic mixed in. */
function canaryRequest(i: number): Observation {
  const failed = i % 11 === 0;
  return logObservation(i, {
    requestId: `w-${i}`,
    time: T0 + i * 7,
    experimentId: null,
    canaryId: i % 17 === 0 ? 'other-canary' : 'can-w',
    arm: i % 3 === 0 ? 'canary' : 'baseline',
    traffic: i % 23 === 0 ? 'warmup' : i % 29 === 0 ? 'eval' : 'live',
    sessionId: i % 9 === 0 ? null : `ws-${i % 40}`,
    status: failed ? 503 : 200,
    errorCode: failed ? 'ServiceUnavailableException' : null,
    costUsd: i % 13 === 0 ? null : (1 + (i % 5)) / 3e4,
    latencyMs: 100 + ((i * 37) % 400) + i / 10,
    // Some answered by a fallback configuration: counted, never scored.
    ...(i % 19 === 4 ? { attempts: 2, servedConfigId: 'backup' } : {}),
  });
}

const quality = (id: string, n: number, value: number, eventTime: number, metric: FeedbackRecord['metric'] = 'quality_score') => ({
  eventId: `q-${id}-${n}`,
  receivedAt: eventTime + 5,
  scope: 'request' as const,
  key: id,
  metric,
  value,
  idempotencyKey: null,
  eventTime,
});

describe('canary windows from the DynamoDB observation log (dynalite)', () => {
  it('gives the figures of the in-memory computation over the same rows, page by page', { timeout: 60_000 }, async () => {
    const log = dynamoObservationStore({ client, table: 'canary_windows', createTable: true, pageSize: 50 });
    const requests = Array.from({ length: 400 }, (_, i) => canaryRequest(i));
    const feedback: FeedbackRecord[] = [];
    const latest = new Map<string, number>();
    for (const [i, o] of requests.entries()) {
      if (i % 4 === 3) continue;
      // An earlier score replaced by a later one (sent in the other order), and a gate flag that is not a score.
      const value = ((i * 7) % 10) / 10;
      feedback.push(quality(o.requestId, 2, value, o.time + 2_000), quality(o.requestId, 1, 1 - value, o.time + 1_000));
      if (i % 5 === 0) feedback.push(quality(o.requestId, 3, 1, o.time + 3_000, 'passed_quality_gate'));
      latest.set(o.requestId, value);
    }
    for (let k = 0; k < requests.length; k += 100) await log.write({ observations: requests.slice(k, k + 100), feedback: [] });
    for (let k = 0; k < feedback.length; k += 100) await log.write({ observations: [], feedback: feedback.slice(k, k + 100) });

    const from = T0 + 300;
    const to = T0 + 2_500;
    const rows: WindowRow[] = requests
      .filter((o) => o.canaryId === 'can-w' && o.traffic === 'live' && o.time >= from && o.time < to)
      .sort((a, b) => (observationSortKey(a) < observationSortKey(b) ? -1 : 1))
      .map((o) => ({
        arm: o.arm as 'canary' | 'baseline',
        sessionId: o.sessionId,
        failed: o.errorCode !== null,
        latencyMs: o.latencyMs,
        costUsd: o.costUsd,
        quality: o.errorCode === null && !o.servedConfigId ? (latest.get(o.requestId) ?? null) : null,
      }));
    expect(rows.filter((r) => r.arm === 'canary').length).toBeGreaterThan(50);
    const source = dynamoWindowSource(log, { pageSize: 13, concurrency: 4 });
    const read = await source.figures({ canaryId: 'can-w', from, to });
    expect(read).toEqual({ ok: true, value: figuresOfRows(rows) });
    if (read.ok) expect(read.value.candidate.p95Bounds).not.toBeNull();
    expect(await source.figures({ canaryId: 'can-w', from: T0 + 10_000, to: T0 + 20_000 })).toEqual({ ok: true, value: figuresOfRows([]) });
    expect(await source.figures({ canaryId: 'no-such-canary', from, to })).toEqual({ ok: true, value: figuresOfRows([]) });
  });

  it('counts requests a fallback answered in the arm but never scores them, as the SQL sources do', async () => {
    const log = dynamoObservationStore({ client, table: 'canary_windows_fallback', createTable: true });
    const requests = [1, 2, 3, 4].map((i) =>
      logObservation(i, {
        requestId: `fb-${i}`,
        time: T0 + i,
        experimentId: null,
        canaryId: 'can-fb',
        arm: 'canary',
        traffic: 'live',
        ...(i === 4 ? { servedConfigId: 'sonnet-35-v1', attempts: 2 } : {}),
      }),
    );
    const scores = requests.map((o) => quality(o.requestId, 1, o.servedConfigId ? 0 : 0.8, o.time + 1_000));
    await log.write({ observations: requests, feedback: scores });
    const read = await dynamoWindowSource(log).figures({ canaryId: 'can-fb', from: T0, to: T0 + 100 });
    if (!read.ok) throw new Error(read.message);
    expect(read.value.candidate.figures).toMatchObject({ requests: 4, scored: 3, errorRate: 0 });
    expect(read.value.candidate.figures.quality).toBeCloseTo(0.8, 12);
  });

  it('leaves the log open when closed: the gateway sink writing to it closes it after its last flush', async () => {
    const log = dynamoObservationStore({ client, table: 'canary_windows_close', createTable: true });
    let logClosed = false;
    const source = dynamoWindowSource({
      ...log,
      close: async () => {
        logClosed = true;
      },
    });
    await source.close();
    expect(logClosed).toBe(false);
    await log.write({ observations: [logObservation(1, { requestId: 'after-close', canaryId: 'can-c', time: T0 })], feedback: [] });
    const read = await dynamoWindowSource(log).figures({ canaryId: 'can-c', from: T0, to: T0 + 1 });
    expect(read.ok && read.value.candidate.figures.requests + read.value.baseline.figures.requests).toBe(1);
  });

  it('reports an unreachable table as a value', async () => {
    const unreachable = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9',
      credentials: DYNALITE_CREDENTIALS,
      maxAttempts: 1,
    });
    const down = dynamoObservationStore({ client: unreachable, table: 'canary_windows' });
    const source = dynamoWindowSource(down);
    const read = await source.figures({ canaryId: 'can-w', from: T0, to: T0 + 1_000 });
    expect(read.ok).toBe(false);
    if (!read.ok) expect(read.message).toMatch(/observations unreadable \(DynamoDB\)/);
    await source.close();
    unreachable.destroy();
  });
});
