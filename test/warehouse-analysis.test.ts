import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJob } from '../analysis/job.ts';
import { postgresAnalysisSource } from '../analysis/queries/postgres-source.ts';
import type { AnalysisSource } from '../analysis/queries/source.ts';
import { sqliteAnalysisSource } from '../analysis/queries/sqlite-source.ts';
import { runAnalysis } from '../analysis/report/build.ts';
import { AnalysisSettings } from '../analysis/settings.ts';
import { GatewayConfig } from '../schema/config.ts';
import type { FeedbackRecord } from '../schema/feedback.ts';
import type { Observation } from '../schema/observation.ts';
import { sqliteRecordStore } from '../stores/observations/sqlite.ts';
import { openDatabase } from '../stores/sqlite/database.ts';
import { exportToWarehouse } from '../stores/warehouse/export.ts';
import type { Warehouse } from '../stores/warehouse/interface.ts';
import { writeExperimentRows, writeSimulatedRows } from './analysis-rows.ts';
import { expectClose } from './support/close.ts';
import { tempDir } from './support/gateway.ts';
import { connectTest, PG_URL, postgresMissing, testSchema } from './warehouse-support.ts';

const missing = await postgresMissing();
const T0 = 1_700_000_000_000;
let dir: string;
let db: Database.Database;
let wh: Warehouse;
let lite: AnalysisSource;
let post: AnalysisSource;
let config: GatewayConfig;
const s = testSchema('wh_analysis');

const pick = <T extends object>(rows: T[], keys: (keyof T)[]) => rows.map((r) => Object.fromEntries(keys.map((k) => [k, r[k]])));

/** Rows the simulators do not write: superseded and tied feedback, unpriced and unconfigured rows, null TTFT. */
function writeEdgeCases(db: Database.Database): void {
  const obs = (i: number, extra: Partial<Observation>): Observation => ({
    requestId: `edge-${i}`,
    time: T0 + 10_000 + i,
    route: 'mangaassist',
    intent: 'faq',
    sessionId: `edge-s${i % 40}`,
    traffic: 'live',
    experimentId: null,
    canaryId: null,
    arm: 'default',
    configId: 'custom',
    upstreamModel: 'custom-model',
    operation: 'converse-stream',
    streamed: true,
    status: 200,
    errorCode: null,
    inputTokens: 10 + i,
    outputTokens: 20 + i,
    costUsd: null,
    ttftMs: i % 5 ? 30 + (i % 13) : null,
    latencyMs: 100 + ((i * 37) % 101),
    overheadMs: 0.2,
    ...extra,
  });
  const observations = [
    ...Array.from({ length: 120 }, (_, i) => obs(i, {})),
    ...Array.from({ length: 10 }, (_, i) => obs(200 + i, { configId: null, arm: 'passthrough' })),
    ...Array.from({ length: 10 }, (_, i) => obs(300 + i, { errorCode: 'ModelTimeoutException', status: 504, ttftMs: null })),
  ];
  const fb = (
    id: string,
    scope: FeedbackRecord['scope'],
    key: string,
    metric: FeedbackRecord['metric'],
    value: number,
    eventTime: number,
  ): FeedbackRecord => ({ eventId: id, receivedAt: eventTime, scope, key, metric, value, idempotencyKey: null, eventTime });
  const feedback: FeedbackRecord[] = [];
  for (let i = 0; i < 120; i++) {
    feedback.push(fb(`e${i}-a`, 'request', `edge-${i}`, 'quality_score', 0.1, T0 + 5));
    // Later event time wins over later arrival; at equal event time the later arrival wins.
    if (i % 3 === 0) feedback.push(fb(`e${i}-b`, 'request', `edge-${i}`, 'quality_score', 0.95, T0 + 9));
    if (i % 3 === 1) feedback.push(fb(`e${i}-c`, 'request', `edge-${i}`, 'quality_score', 0.75, T0 + 5));
    if (i % 3 === 2) feedback.push(fb(`e${i}-d`, 'request', `edge-${i}`, 'quality_score', 0.99, T0 + 1));
  }
  for (let i = 0; i < 10; i++) feedback.push(fb(`e-fail-${i}`, 'request', `edge-${300 + i}`, 'quality_score', 1, T0));
  const store = sqliteRecordStore(db);
  store.write({ observations, feedback });
  // Session outcomes of experiment sessions changed after the fact: the later value is in force.
  const late: FeedbackRecord[] = [];
  for (let i = 0; i < 200; i += 3) {
    late.push(fb(`late-cart-${i}`, 'session', `sonnet3-to-v2-s${i}`, 'cart_add', 1, T0 + 1_000));
    late.push(fb(`late-esc-${i}`, 'session', `skewed-s${i}`, 'escalated', 0, 0));
  }
  store.write({ observations: [], feedback: late });
}

beforeAll(async () => {
  if (missing) return;
  dir = tempDir('warehouse-analysis-');
  db = openDatabase(join(dir, 'gateway.db'));
  writeSimulatedRows(db, {
    sessions: 2_000,
    requestsPerSession: 2,
    seed: 21,
    nonLiveShare: 0.1,
    errorRate: 0.02,
    configs: (intent) => (intent === 'recommendation' ? ['sonnet-35-v1', 'sonnet-35-v2', 'haiku-35'] : ['sonnet-35-v2', 'haiku-35']),
  });
  const common = { sessions: 700, sessionSd: 0.05, cartAdd: [0.12, 0.2] as [number, number], escalated: [0.05, 0.04] as [number, number] };
  writeExperimentRows(db, {
    ...common,
    experimentId: 'sonnet3-to-v2',
    intent: 'recommendation',
    control: 'sonnet-3',
    treatment: 'sonnet-35-v2',
    treatmentShare: 0.5,
    seed: 22,
  });
  writeExperimentRows(db, {
    ...common,
    experimentId: 'skewed',
    intent: 'faq',
    control: 'sonnet-35-v1',
    treatment: 'haiku-35',
    treatmentShare: 0.4,
    seed: 23,
  });
  writeEdgeCases(db);
  wh = await connectTest(s.schema);
  const exported = await exportToWarehouse(db, wh, { batchSize: 2_000 });
  if (!exported.ok) throw new Error(exported.error);
  lite = sqliteAnalysisSource(db);
  post = postgresAnalysisSource(wh);
  const raw = JSON.parse(readFileSync('config/mangaassist.json', 'utf8')) as { experiments: unknown[] };
  raw.experiments = [
    { id: 'sonnet3-to-v2', route: 'mangaassist', intent: 'recommendation', control: 'sonnet-3', treatment: 'sonnet-35-v2', split: 0.5 },
    { id: 'skewed', route: 'mangaassist', intent: 'faq', control: 'sonnet-35-v1', treatment: 'haiku-35', split: 0.5 },
  ];
  writeFileSync(join(dir, 'config.json'), JSON.stringify(raw));
  config = GatewayConfig.parse(raw);
});

afterAll(async () => {
  await wh?.close().catch(() => {});
  if (!missing) await s.drop();
  db?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(missing !== null)('analysis on PostgreSQL equals analysis on SQLite for the same data', () => {
  const filters = [{ since: 0 }, { since: T0 + 1_500 }];
  const gates = { chitchat: 0.9, faq: 0.72 };

  it('gives the same per-cell counts exactly and sums to 1e-9', async () => {
    for (const filter of filters) {
      const [a, b] = [await lite.cells(filter, gates, 0.7), await post.cells(filter, gates, 0.7)];
      expect(a.length).toBeGreaterThan(10);
      // The simulated rows hold guardrail interventions, so both sources must find the same non-zero counts.
      expect(a.reduce((n, c) => n + c.guardrailed, 0)).toBeGreaterThan(0);
      const exact = ['intent', 'configId', 'requests', 'errors', 'unpriced', 'scored', 'passes', 'scoredTokens', 'guardrailed'] as const;
      expect(pick(b, [...exact])).toEqual(pick(a, [...exact]));
      expectClose(
        pick(a, ['costUsd', 'costSumSq', 'qualitySum', 'qualitySumSq']),
        pick(b, ['costUsd', 'costSumSq', 'qualitySum', 'qualitySumSq']),
      );
    }
    const custom = (await post.cells({ since: 0 }, {}, 0.7)).find((c) => c.configId === 'custom')!;
    // 40 of 120 edge rows keep 0.95, 40 take 0.75 (tie on event time, later arrival), 40 keep 0.1 (later arrival, earlier event).
    expect(custom).toMatchObject({ requests: 130, errors: 10, unpriced: 130, scored: 120, passes: 80 });
    expect(custom.qualitySum).toBeCloseTo(40 * 0.95 + 40 * 0.75 + 40 * 0.1, 9);
  });

  it('gives exactly the same nearest-rank percentiles', async () => {
    for (const filter of filters) {
      for (const column of ['latency_ms', 'ttft_ms'] as const) {
        const [a, b] = [await lite.percentiles(filter, column), await post.percentiles(filter, column)];
        expect(a.size).toBeGreaterThan(10);
        expect(new Map([...b].sort())).toEqual(new Map([...a].sort()));
      }
    }
  });

  it('gives the same experiment arms and session outcomes', async () => {
    const ids = await post.experimentIds({ since: 0 });
    expect(ids).toEqual(await lite.experimentIds({ since: 0 }));
    expect(ids).toEqual(['skewed', 'sonnet3-to-v2']);
    for (const id of ids) {
      const [a, b] = [await lite.arms({ since: 0 }, id), await post.arms({ since: 0 }, id)];
      const exact = ['arm', 'configId', 'requests', 'errors', 'scored'] as const;
      expect(pick(b, [...exact])).toEqual(pick(a, [...exact]));
      expect(b.map((x) => [x.session.sessions, x.session.sumN, x.session.sumNN])).toEqual(
        a.map((x) => [x.session.sessions, x.session.sumN, x.session.sumNN]),
      );
      expectClose(a, b);
      const order = <T extends { arm: string; metric: string }>(rows: T[]): T[] =>
        [...rows].sort((x, y) => `${x.arm}/${x.metric}`.localeCompare(`${y.arm}/${y.metric}`));
      const [oa, ob] = [order(await lite.outcomes({ since: 0 }, id)), order(await post.outcomes({ since: 0 }, id))];
      expect(oa).toHaveLength(6);
      expect(pick(ob, ['arm', 'metric', 'n'])).toEqual(pick(oa, ['arm', 'metric', 'n']));
      expectClose(oa, ob);
    }
  });

  it('builds the same report (statistics to 1e-9, counts and quantiles exactly)', async () => {
    for (const since of [undefined, T0 + 1_500]) {
      const settings = AnalysisSettings.parse({ intentGates: gates });
      const [a, b] = [
        await runAnalysis({ source: lite, config, settings, since }),
        await runAnalysis({ source: post, config, settings, since }),
      ];
      expect(a.intents.length).toBeGreaterThan(10);
      expect(b.liveRequests).toBe(a.liveRequests);
      expect(b.intents.map((r) => [r.intent, r.configId, r.requests, r.scored, r.latencyMs, r.ttftMs])).toEqual(
        a.intents.map((r) => [r.intent, r.configId, r.requests, r.scored, r.latencyMs, r.ttftMs]),
      );
      expect(b.experiments.map((e) => [e.id, e.decision, e.arms.map((x) => [x.sessions, x.requests, x.scored])])).toEqual(
        a.experiments.map((e) => [e.id, e.decision, e.arms.map((x) => [x.sessions, x.requests, x.scored])]),
      );
      expect(a.experiments).toHaveLength(2);
      expectClose({ ...a, generatedAt: '' }, { ...b, generatedAt: '' });
    }
  });

  it('runs the job on the warehouse and writes its results there', async () => {
    const out = join(dir, 'reports-pg');
    const result = await runJob({ store: PG_URL, schema: s.schema, configPath: join(dir, 'config.json'), outDir: out, runId: 'test-run' });
    expect(result.warehouseRunId).toBe('test-run');
    const fromSqlite = await runJob({
      store: join(dir, 'gateway.db'),
      configPath: join(dir, 'config.json'),
      outDir: join(dir, 'reports-lite'),
    });
    expect(fromSqlite.warehouseRunId).toBeUndefined();
    expectClose({ ...fromSqlite.report, generatedAt: '' }, { ...result.report, generatedAt: '' });
    await runJob({ store: PG_URL, schema: s.schema, configPath: join(dir, 'config.json'), outDir: out, runId: 'test-run' });
    expect(await wh.query(`SELECT run_id, source, live_requests FROM analysis_runs`)).toEqual([
      { run_id: 'test-run', source: 'postgres', live_requests: result.report.liveRequests },
    ]);
    const rows = await wh.query<{ intent: string; config_id: string; requests: number; latency_p95_ms: number; recommended: boolean }>(
      'SELECT intent, config_id, requests, latency_p95_ms, recommended FROM analysis_intent_results ORDER BY intent, config_id',
    );
    expect(rows).toHaveLength(result.report.intents.length);
    const first = result.report.intents.find((r) => r.intent === rows[0]!.intent && r.configId === rows[0]!.config_id)!;
    expect(rows[0]).toMatchObject({ requests: first.requests, latency_p95_ms: first.latencyMs![95] });
    const table = result.report.recommendation!.route.table;
    const recommended = result.report.intents.filter((r) => table[r.intent] === r.configId).map((r) => `${r.intent}/${r.configId}`);
    expect(recommended.length).toBeGreaterThan(5);
    expect(rows.filter((r) => r.recommended).map((r) => `${r.intent}/${r.config_id}`)).toEqual(recommended);
    const arms = await wh.query<{ experiment_id: string; decision: string }>(
      'SELECT experiment_id, arm, decision FROM analysis_experiment_results ORDER BY experiment_id, arm',
    );
    expect(arms).toHaveLength(2 * result.report.experiments.length);
    expect(arms.find((r) => r.experiment_id === 'skewed')!.decision).toBe(
      result.report.experiments.find((e) => e.id === 'skewed')!.decision.decision,
    );
  });

  it('fails with a clear message on a warehouse schema that has no observations', async () => {
    const empty = testSchema('wh_empty');
    await expect(
      runJob({ store: PG_URL, schema: empty.schema, configPath: join(dir, 'config.json'), outDir: join(dir, 'x') }),
    ).rejects.toThrow(/run npm run export first/);
    await empty.drop();
  });
});
