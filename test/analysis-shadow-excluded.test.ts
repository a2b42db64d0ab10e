import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { postgresAnalysisSource } from '../analysis/queries/postgres-source.ts';
import type { AnalysisSource } from '../analysis/queries/source.ts';
import { runAnalysis, type AnalysisReport } from '../analysis/report/build.ts';
import { sqliteAnalysisSource } from '../analysis/queries/sqlite-source.ts';
import { AnalysisSettings } from '../analysis/settings.ts';
import { loadGatewayConfig } from '../gateway/config/load.ts';
import { GatewayConfig } from '../schema/config.ts';
import { readObservations, sqliteRecordStore } from '../stores/observations/sqlite.ts';
import { sqliteShadowAnswers } from '../stores/shadow-answers/sqlite.ts';
import { openDatabase } from '../stores/sqlite/database.ts';
import { exportToWarehouse } from '../stores/warehouse/export.ts';
import { writeExperimentRows } from './analysis-rows.ts';
import { expectClose } from './support/close.ts';
import { tempDir } from './support/gateway.ts';
import { connectTest, postgresMissing, testSchema } from './warehouse-support.ts';

const missing = await postgresMissing();

const EXPERIMENT = {
  id: 'e-shadow',
  route: 'mangaassist',
  intent: 'recommendation',
  control: 'sonnet-35-v1',
  treatment: 'sonnet-35-v2',
  split: 0.3,
  status: 'running' as const,
};

/** A database of one live experiment; with `shadowed`, every live request also has an absurd shadow copy. */
async function database(shadowed: boolean): Promise<Database.Database> {
  const db = openDatabase(join(tempDir('analysis-shadow-'), 'gateway.db'));
  writeExperimentRows(db, {
    experimentId: EXPERIMENT.id,
    intent: EXPERIMENT.intent,
    control: EXPERIMENT.control,
    treatment: EXPERIMENT.treatment,
    treatmentShare: EXPERIMENT.split,
    sessions: 1_500,
    seed: 5,
    sessionSd: 0.05,
    cartAdd: [0.12, 0.13],
    escalated: [0.05, 0.05],
  });
  if (shadowed) {
    const live = readObservations(db);
    // Worst case: copies that even carry the experiment, the arm and the live configuration; only the class marks them.
    const copies = live.map((o) => ({
      ...o,
      requestId: `shadow-${o.requestId}`,
      traffic: 'shadow' as const,
      shadowOf: o.requestId,
      latencyMs: 60_000,
      costUsd: 5,
      errorCode: o.sessionId!.endsWith('7') ? 'ThrottlingException' : null,
    }));
    const feedback = copies.map((o, i) => ({
      eventId: `shadow-fb-${i}`,
      receivedAt: o.time,
      scope: 'request' as const,
      key: o.requestId,
      metric: 'quality_score' as const,
      value: 0,
      idempotencyKey: null,
      eventTime: o.time,
    }));
    await sqliteRecordStore(db).write({ observations: copies, feedback });
    const answers = sqliteShadowAnswers(db);
    for (const o of copies.slice(0, 50))
      answers.record({
        shadowRequestId: o.requestId,
        liveRequestId: o.shadowOf,
        time: o.time,
        prompt: null,
        liveAnswer: 'a',
        shadowAnswer: 'b',
      });
  }
  return db;
}

function report(source: AnalysisSource): Promise<AnalysisReport> {
  const base = loadGatewayConfig('config/mangaassist.json');
  const config = GatewayConfig.parse({ ...base, experiments: [EXPERIMENT], canaries: [] });
  return runAnalysis({ source, config, settings: AnalysisSettings.parse({}) });
}

async function analyse(shadowed: boolean): Promise<AnalysisReport> {
  const db = await database(shadowed);
  try {
    return await report(sqliteAnalysisSource(db));
  } finally {
    db.close();
  }
}

/** The same database exported to a fresh warehouse schema, analysed there; returns the report and the shadow rows there. */
async function analyseOnWarehouse(shadowed: boolean): Promise<{ report: AnalysisReport; shadowRows: number }> {
  const db = await database(shadowed);
  const s = testSchema('wh_shadow_excluded');
  const wh = await connectTest(s.schema);
  try {
    const exported = await exportToWarehouse(db, wh, { batchSize: 2_000 });
    if (!exported.ok) throw new Error(exported.error);
    const [count] = await wh.query<{ n: string }>(`SELECT COUNT(*) AS n FROM observations WHERE traffic = 'shadow'`);
    return { report: await report(postgresAnalysisSource(wh)), shadowRows: Number(count!.n) };
  } finally {
    await wh.close();
    await s.drop();
    db.close();
  }
}

describe('shadow observations in the analysis', () => {
  it('leave live statistics, experiments, their tests and the sample-ratio check exactly as without them', async () => {
    const without = await analyse(false);
    const withShadow = await analyse(true);
    expect(without.experiments).toHaveLength(1);
    expect(without.experiments[0]!.srm).not.toBeNull();
    const { generatedAt: _a, shadow: noShadow, ...plain } = without;
    const { generatedAt: _b, shadow, ...shadowedReport } = withShadow;
    expect(shadowedReport).toEqual(plain);
    expect(noShadow).toEqual([]);
    // They are compared on their own, as pairs.
    const total = shadow.reduce((n, s) => n + s.pairs, 0);
    expect(total).toBe(withShadow.liveRequests);
    expect(shadow.every((s) => s.shadow.meanLatencyMs === 60_000 && s.scored === 0)).toBe(true);
  });

  it.skipIf(missing !== null)(
    'leave the analysis on the warehouse (PostgreSQL) exactly as without them',
    async () => {
      const without = await analyseOnWarehouse(false);
      const withShadow = await analyseOnWarehouse(true);
      expect(without.shadowRows).toBe(0);
      expect(withShadow.shadowRows).toBe(withShadow.report.liveRequests);
      expect(without.report.experiments[0]!.srm).not.toBeNull();
      const { generatedAt: _a, ...plain } = without.report;
      const { generatedAt: _b, ...shadowedReport } = withShadow.report;
      // Within 1e-9 relative: PostgreSQL sums floats in the rows' physical order, which the copies change.
      expectClose(shadowedReport, plain);
    },
    120_000,
  );
});
