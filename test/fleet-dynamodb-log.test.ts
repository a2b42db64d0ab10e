import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoWindowSource } from '../admin/canary/window-source-dynamodb.ts';
import { dynamoObservationStore } from '../stores/observations/dynamodb.ts';
import { readAll } from '../stores/observations/interface.ts';
import { ADMIN_TOKEN } from './support/admin-fixtures.ts';
import { adminCall, waitFor } from './support/admin-stack.ts';
import { DYNALITE_CREDENTIALS, startDynalite } from './support/dynalite-server.ts';
import { spawnGateway, stopProcess, tempDir, type SpawnedGateway } from './support/gateway.ts';

const CANARY = { id: 'fleet-canary', route: 'mangaassist', intent: 'faq', baseline: 'sonnet-35-v1', candidate: 'haiku-35', weight: 40 };
const START = { startTimeoutMs: 60_000 };
let dynamo: Awaited<ReturnType<typeof startDynalite>>;
let client: DynamoDBClient;
const running: SpawnedGateway[] = [];

beforeAll(async () => {
  dynamo = await startDynalite();
  client = new DynamoDBClient({ region: 'us-east-1', endpoint: dynamo.endpoint, credentials: DYNALITE_CREDENTIALS });
});

afterAll(async () => {
  await Promise.all(running.map((g) => stopProcess(g.child)));
  client?.destroy();
  await dynamo?.close();
});

/** One replica: its own DATA_DIR, the shared config store and the shared log, both DynamoDB tables on one dynalite. */
const replicaEnv = (replica: string): Record<string, string> => ({
  DATA_DIR: tempDir(`fleet-dyn-${replica}-`),
  CONFIG_STORE: 'dynamodb',
  DYNAMODB_TABLE: 'fleet-config',
  DYNAMODB_ENDPOINT: dynamo.endpoint,
  AWS_ACCESS_KEY_ID: DYNALITE_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: DYNALITE_CREDENTIALS.secretAccessKey,
  OBSERVATION_LOG: 'dynamodb',
  DYNAMODB_OBSERVATIONS_TABLE: 'fleet_log',
  REPLICA_ID: replica,
  ADMIN_TOKEN,
  CANARY_CONTROLLER: 'off',
  CONFIG_POLL_MS: '100',
  SIM_TIME_SCALE: '0',
});

async function call(url: string, session: string): Promise<{ id: string; arm: string }> {
  const res = await fetch(`${url}/model/mangaassist/converse`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-intent': 'faq', 'x-session-id': session },
    body: JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'where is my order?' }] }] }),
  });
  await res.arrayBuffer();
  expect(res.status).toBe(200);
  return { id: res.headers.get('x-gateway-request-id')!, arm: res.headers.get('x-gateway-arm')! };
}

describe('a fleet of gateway processes writing one DynamoDB observation log (dynalite)', () => {
  it("keeps every replica's requests, and a canary window over the log counts all of them", { timeout: 240_000 }, async () => {
    const replicas = ['dyn-a', 'dyn-b', 'dyn-c'];
    running.push(await spawnGateway(replicaEnv(replicas[0]!), START));
    running.push(...(await Promise.all(replicas.slice(1).map((r) => spawnGateway(replicaEnv(r), START)))));
    expect(running[1]!.output()).toContain('observations: DynamoDB table fleet_log');
    const from = Date.now();
    expect((await adminCall(running[0]!.url, 'POST', '/canaries', CANARY)).status).toBe(201);
    const answered = new Map<string, { replica: string; arm: string }>();
    // Every replica routes the canary once its configuration poll has seen it; those requests count too.
    for (const [k, g] of running.entries()) {
      await waitFor(
        async () => {
          const r = await call(g.url, `probe-${k}-${answered.size}`);
          answered.set(r.id, { replica: replicas[k]!, arm: r.arm });
          return r.arm === 'canary' || r.arm === 'baseline';
        },
        20_000,
        `${replicas[k]} to route the canary`,
      );
    }
    for (let i = 0; i < 75; i++) {
      const k = i % 3;
      const r = await call(running[k]!.url, `fleet-s-${i % 25}`);
      answered.set(r.id, { replica: replicas[k]!, arm: r.arm });
    }
    expect(await Promise.all(running.map((g) => stopProcess(g.child)))).toEqual([0, 0, 0]);
    running.length = 0;

    const log = dynamoObservationStore({ client, table: 'fleet_log', pageSize: 40 });
    const stored = await readAll((c) => log.page(c, 40));
    expect(new Map(stored.map((o) => [o.requestId, { replica: o.replicaId, arm: o.arm }]))).toEqual(answered);

    const window = await dynamoWindowSource(log).figures({ canaryId: CANARY.id, from, to: Date.now() + 1 });
    if (!window.ok) throw new Error(window.message);
    const arms = [...answered.values()].map((a) => a.arm);
    const canary = arms.filter((a) => a === 'canary').length;
    const baseline = arms.filter((a) => a === 'baseline').length;
    expect(canary).toBeGreaterThan(0);
    expect(canary + baseline).toBeGreaterThanOrEqual(75);
    expect([window.value.candidate.figures.requests, window.value.baseline.figures.requests]).toEqual([canary, baseline]);
    // Every replica's share is in the window, not one replica's third.
    const perReplica = replicas.map((r) => [...answered.values()].filter((a) => a.replica === r && a.arm !== 'default').length);
    expect(perReplica.every((n) => n > 0 && n < canary + baseline)).toBe(true);
  });
});
