import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJob } from '../analysis/job.ts';
import { readAll } from '../stores/observations/interface.ts';
import { postgresObservationLog } from '../stores/observations/postgres.ts';
import { sqliteRecordStore } from '../stores/observations/sqlite.ts';
import { openDatabase } from '../stores/sqlite/database.ts';
import { ADMIN_TOKEN } from './support/admin-fixtures.ts';
import { DYNALITE_CREDENTIALS, startDynalite } from './support/dynalite-server.ts';
import { spawnGateway, stopProcess, tempDir, type SpawnedGateway } from './support/gateway.ts';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.ts';
import { PG_URL, postgresMissing, testSchema } from './warehouse-support.ts';

const pgMissing = await postgresMissing();
const { schema, drop } = testSchema('fleet');
const INTENTS = ['faq', 'recommendation', 'order_tracking'];
let dynamo: Awaited<ReturnType<typeof startDynalite>> | null = null;
let proxy: TcpProxy | null = null;
const running: SpawnedGateway[] = [];
// Several processes start on a machine shared with other test runs.
const START = { startTimeoutMs: 60_000 };

beforeAll(async () => {
  dynamo = await startDynalite();
});

afterAll(async () => {
  await Promise.all(running.map((g) => stopProcess(g.child)));
  await proxy?.close();
  await dynamo?.close();
  if (!pgMissing) await drop();
});

/** One replica: its own DATA_DIR, the shared config store (DynamoDB on dynalite) and the shared log (PostgreSQL). */
function replicaEnv(replica: string, logUrl = PG_URL, dataDir = tempDir(`fleet-${replica}-`)): Record<string, string> {
  return {
    DATA_DIR: dataDir,
    CONFIG_STORE: 'dynamodb',
    DYNAMODB_ENDPOINT: dynamo!.endpoint,
    DYNAMODB_TABLE: 'fleet-config',
    CONFIG_STORE_PREFIX: `${schema}#`,
    AWS_ACCESS_KEY_ID: DYNALITE_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: DYNALITE_CREDENTIALS.secretAccessKey,
    OBSERVATION_LOG: logUrl,
    OBSERVATION_LOG_SCHEMA: schema,
    REPLICA_ID: replica,
    ADMIN_TOKEN,
    CANARY_CONTROLLER: 'off',
    SIM_TIME_SCALE: '0',
  };
}

async function call(url: string, i: number): Promise<string> {
  const res = await fetch(`${url}/model/mangaassist/converse`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-intent': INTENTS[i % 3]!, 'x-session-id': `fleet-s-${i % 17}` },
    body: JSON.stringify({ messages: [{ role: 'user', content: [{ text: `question ${i}` }] }] }),
  });
  await res.arrayBuffer();
  expect(res.status).toBe(200);
  return res.headers.get('x-gateway-request-id')!;
}

async function logRows(): Promise<{ request_id: string; replica_id: string }[]> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    return (await client.query(`SELECT request_id, replica_id FROM ${schema}.observations ORDER BY seq`)).rows;
  } finally {
    await client.end();
  }
}

describe.skipIf(pgMissing !== null)('a fleet of gateway processes writing one PostgreSQL observation log', () => {
  const answered = new Map<string, string>();

  it('three replicas on one config store and one log: the log and the analysis count every request all answered', {
    timeout: 120_000,
  }, async () => {
    const replicas = ['gw-a', 'gw-b', 'gw-c'];
    // The first seeds the empty config store; the others find it seeded.
    running.push(await spawnGateway(replicaEnv(replicas[0]!), START));
    running.push(...(await Promise.all(replicas.slice(1).map((r) => spawnGateway(replicaEnv(r), START)))));
    expect(running[0]!.output()).toContain(`observations: PostgreSQL`);
    expect(running[0]!.output()).toContain(`schema ${schema}`);
    const feedback: { url: string; requestId: string; value: number }[] = [];
    await Promise.all(
      running.map(async (g, k) => {
        for (let i = k; i < 90; i += 3) {
          const id = await call(g.url, i);
          answered.set(id, replicas[k]!);
          if (i % 2 === 0) feedback.push({ url: running[(k + 1) % 3]!.url, requestId: id, value: (i % 10) / 10 });
        }
      }),
    );
    // Feedback goes to any replica; the log joins it to the request whichever replica answered.
    for (const f of feedback) {
      const res = await fetch(`${f.url}/v1/feedback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ metric: 'quality_score', request_id: f.requestId, value: f.value }),
      });
      expect(res.status).toBe(202);
    }
    expect(await Promise.all(running.map((g) => stopProcess(g.child)))).toEqual([0, 0, 0]);
    running.length = 0;

    const rows = await logRows();
    expect(rows).toHaveLength(90);
    expect(new Map(rows.map((r) => [r.request_id, r.replica_id]))).toEqual(answered);

    // `npm run analysis -- --store <url> --schema <schema>` over the shared log.
    const out = tempDir('fleet-report-');
    const cli = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'analysis/cli.ts', '--store', PG_URL, '--schema', schema, '--config', 'config/mangaassist.json', '--out', out],
      { encoding: 'utf8', timeout: 120_000 },
    );
    expect(cli.status, cli.stderr).toBe(0);
    expect(cli.stdout).toContain('90 live requests');
    expect(JSON.parse(readFileSync(join(out, 'analysis.json'), 'utf8')).liveRequests).toBe(90);
    const overLog = await runJob({ store: PG_URL, schema, configPath: 'config/mangaassist.json', outDir: tempDir('fleet-report-') });
    expect(overLog.report.liveRequests).toBe(90);

    // The same analysis over the union of the log's rows in one SQLite file gives the same figures.
    const log = postgresObservationLog({ url: PG_URL, schema });
    const union = join(tempDir('fleet-union-'), 'gateway.db');
    const db = openDatabase(union);
    try {
      const observations = await readAll((c) => log.page(c, 25));
      const events = await readAll((c) => log.feedbackPage(c, 25));
      expect(events).toHaveLength(feedback.length);
      sqliteRecordStore(db).write({
        observations: observations.map(({ seq: _, ...o }) => o),
        feedback: events.map(({ seq: _, ...f }) => f),
      });
    } finally {
      db.close();
      await log.close();
    }
    const overUnion = await runJob({ store: union, configPath: 'config/mangaassist.json', outDir: tempDir('fleet-report-') });
    const cells = (r: typeof overLog.report) => r.intents.map((c) => [c.intent, c.configId, c.requests, c.scored]);
    expect(cells(overLog.report)).toEqual(cells(overUnion.report));
    expect(cells(overLog.report).reduce((n, c) => n + Number(c[3]), 0)).toBe(feedback.length);
    overLog.report.intents.forEach((c, k) => {
      expect(c.meanQuality ?? 0).toBeCloseTo(overUnion.report.intents[k]!.meanQuality ?? 0, 9);
      expect(c.latencyMs).not.toBeNull();
      expect(c.latencyMs).toEqual(overUnion.report.intents[k]!.latencyMs);
    });
  });

  it('a replica killed with SIGKILL while the log is down loses nothing it spilled: the restart replays it', {
    timeout: 90_000,
  }, async () => {
    const target = new URL(PG_URL);
    proxy = await startTcpProxy(Number(target.port || 5432), target.hostname);
    const viaProxy = new URL(PG_URL);
    viaProxy.port = String(proxy.port);
    await proxy.stop();
    const env = replicaEnv('gw-k', viaProxy.toString());
    const g = await spawnGateway(env, START);
    running.push(g);
    const ids: string[] = [];
    for (let i = 0; i < 24; i++) ids.push(await call(g.url, i));
    const spill = join(env.DATA_DIR!, 'observations.spill.jsonl');
    const spilled = (): number =>
      existsSync(spill)
        ? readFileSync(spill, 'utf8')
            .split('\n')
            .filter(Boolean)
            .flatMap((line) => (JSON.parse(line) as { observations: { requestId: string }[] }).observations).length
        : 0;
    for (let t = 0; spilled() < ids.length; t++) {
      if (t > 200) throw new Error(`only ${spilled()} of ${ids.length} observations spilled:\n${g.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    g.child.kill('SIGKILL');
    await new Promise((r) => g.child.once('exit', r));
    running.splice(running.indexOf(g), 1);

    await proxy.start();
    const restarted = await spawnGateway(env, START);
    running.push(restarted);
    const more = await call(restarted.url, 99);
    expect(await stopProcess(restarted.child)).toBe(0);
    running.splice(running.indexOf(restarted), 1);
    expect(existsSync(spill)).toBe(false);
    const rows = (await logRows()).filter((r) => r.replica_id === 'gw-k');
    expect(rows.map((r) => r.request_id).sort()).toEqual([...ids, more].sort());
    expect((await logRows()).length).toBe(answered.size + ids.length + 1);
  });
});
