import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRow } from '../analysis/intent-table.ts';
import { postgresAnalysisSource } from '../analysis/queries/postgres-source.ts';
import type { AnalysisSource } from '../analysis/queries/source.ts';
import { sqliteAnalysisSource } from '../analysis/queries/sqlite-source.ts';
import { runAnalysis } from '../analysis/report/build.ts';
import { renderMarkdown } from '../analysis/report/markdown.ts';
import { AnalysisSettings } from '../analysis/settings.ts';
import { GatewayConfig } from '../schema/config.ts';
import type { FeedbackRecord } from '../schema/feedback.ts';
import type { Observation } from '../schema/observation.ts';
import { sqliteRecordStore } from '../stores/observations/sqlite.ts';
import { openDatabase } from '../stores/sqlite/database.ts';
import { exportToWarehouse } from '../stores/warehouse/export.ts';
import type { Warehouse } from '../stores/warehouse/interface.ts';
import { tempDir } from './support/gateway.ts';
import { experimentObservation } from './support/observations.ts';
import { connectTest, postgresMissing, testSchema } from './warehouse-support.ts';

const missing = await postgresMissing();
const s = testSchema('wh_fallbacks');
const SESSIONS = 40;
let dir: string;
let db: Database.Database;
let lite: AnalysisSource;
let wh: Warehouse | undefined;

/**
 * Experiment e1 on `recommendation`: control `ctl`, treatment `trt`, one request per session, quality 0.9 on every
 * answer of the assigned configuration. A quarter of the control's requests were throttled and answered by the
 * fallback `backup`, whose answers are scored 0.1: were they scored, control's quality would drop to 0.7.
 */
function rows(): { observations: Observation[]; feedback: FeedbackRecord[] } {
  const observations: Observation[] = [];
  const feedback: FeedbackRecord[] = [];
  for (let i = 0; i < SESSIONS; i++) {
    const control = i % 2 === 0;
    const fallback = control && i % 8 === 0;
    observations.push(
      experimentObservation(i, {
        configId: control ? 'ctl' : 'trt',
        attempts: fallback ? 2 : 1,
        servedConfigId: fallback ? 'backup' : null,
        failedAttempts: fallback ? [{ configId: 'ctl', status: 429, errorCode: 'ThrottlingException', ms: 3 }] : null,
        upstreamModel: fallback ? 'backup-model' : 'm',
      }),
    );
    feedback.push({
      eventId: `f-${i}`,
      receivedAt: 1_700_000_100_000 + i,
      scope: 'request',
      key: `req-${i}`,
      metric: 'quality_score',
      value: fallback ? 0.1 : 0.9,
      idempotencyKey: null,
      eventTime: 1_700_000_100_000 + i,
    });
  }
  return { observations, feedback };
}

beforeAll(async () => {
  dir = tempDir('analysis-fallbacks-');
  db = openDatabase(join(dir, 'gateway.db'));
  await sqliteRecordStore(db).write(rows());
  lite = sqliteAnalysisSource(db);
  if (missing) return;
  wh = await connectTest(s.schema);
  const exported = await exportToWarehouse(db, wh, { batchSize: 100 });
  if (!exported.ok) throw new Error(exported.error);
});

afterAll(async () => {
  await wh?.close().catch(() => {});
  if (!missing) await s.drop();
  db?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function expectFallbacksFlagged(source: AnalysisSource): Promise<void> {
  const cells = await source.cells({ since: 0 }, {}, 0.75);
  const ctl = cells.find((c) => c.configId === 'ctl')!;
  // Counted under the assigned configuration (requests, errors, cost), flagged, and never scored.
  expect(ctl).toMatchObject({ requests: 20, errors: 0, fallbacks: 5, scored: 15, passes: 15 });
  expect(ctl.qualitySum).toBeCloseTo(15 * 0.9, 9);
  expect(ctl.costUsd).toBeCloseTo(20e-6, 12);
  expect(cells.find((c) => c.configId === 'trt')).toMatchObject({ requests: 20, fallbacks: 0, scored: 20 });
  expect(cells.some((c) => c.configId === 'backup')).toBe(false);
  expect(buildRow(ctl, undefined, undefined, 0.05, 1).fallbackShare).toBe(0.25);
  const arms = await source.arms({ since: 0 }, 'e1');
  expect(arms.find((a) => a.arm === 'control')).toMatchObject({ requests: 20, fallbacks: 5, scored: 15 });
  expect(arms.find((a) => a.arm === 'treatment')).toMatchObject({ requests: 20, fallbacks: 0, scored: 20 });
}

describe('analysis of requests answered by a fallback', () => {
  it('SQLite: kept in the assigned cell and arm, counted as fallbacks, never scored', async () => {
    await expectFallbacksFlagged(lite);
  });

  it.skipIf(missing !== null)('PostgreSQL: the same figures from the warehouse', async () => {
    await expectFallbacksFlagged(postgresAnalysisSource(wh!));
    const exported = await wh!.query<{ failed_attempts: string }>(
      `SELECT failed_attempts FROM observations WHERE served_config_id IS NOT NULL ORDER BY seq`,
    );
    expect(exported).toHaveLength(5);
    expect(JSON.parse(exported[0]!.failed_attempts)).toEqual([{ configId: 'ctl', status: 429, errorCode: 'ThrottlingException', ms: 3 }]);
  });

  it('reads an embedded store that predates the serving-configuration column (no fallbacks there)', async () => {
    const old = openDatabase(join(dir, 'old.db'));
    await sqliteRecordStore(old).write(rows());
    old.exec('ALTER TABLE observations DROP COLUMN failed_attempts; ALTER TABLE observations DROP COLUMN served_config_id');
    const cells = await sqliteAnalysisSource(old).cells({ since: 0 }, {}, 0.75);
    expect(cells.find((c) => c.configId === 'ctl')).toMatchObject({ requests: 20, fallbacks: 0, scored: 20 });
    expect((await sqliteAnalysisSource(old).arms({ since: 0 }, 'e1')).find((a) => a.arm === 'control')).toMatchObject({ fallbacks: 0 });
    old.close();
  });

  it.skipIf(missing !== null)('reads a warehouse that predates the serving-configuration column', async () => {
    await wh!.query('ALTER TABLE observations DROP COLUMN served_config_id');
    const post = postgresAnalysisSource(wh!);
    expect((await post.cells({ since: 0 }, {}, 0.75)).find((c) => c.configId === 'ctl')).toMatchObject({
      requests: 20,
      fallbacks: 0,
      scored: 20,
    });
    expect((await post.arms({ since: 0 }, 'e1')).find((a) => a.arm === 'control')).toMatchObject({ fallbacks: 0, scored: 20 });
  });

  it('the report shows the fallback share per configuration and per arm, and keeps quality to the assigned model', async () => {
    const config = GatewayConfig.parse({
      pricing: { m: { inputPer1k: 1, outputPer1k: 1 } },
      configs: ['ctl', 'trt', 'backup'].map((id) => ({ id, upstream: { provider: 'bedrock', modelId: 'm' }, maxTokens: 10 })),
      routes: [{ name: 'mangaassist', intents: ['recommendation'], default: 'ctl' }],
      experiments: [{ id: 'e1', route: 'mangaassist', intent: 'recommendation', control: 'ctl', treatment: 'trt', split: 0.25 }],
    });
    const report = await runAnalysis({ source: lite, config, settings: AnalysisSettings.parse({}) });
    const row = report.intents.find((r) => r.configId === 'ctl')!;
    expect(row).toMatchObject({ fallbackShare: 0.25, scored: 15, errorRate: 0 });
    expect(row.meanQuality).toBeCloseTo(0.9, 9);
    const experiment = report.experiments.find((e) => e.id === 'e1')!;
    expect(experiment.arms.map((a) => [a.arm, a.fallbackShare])).toEqual([
      ['control', 0.25],
      ['treatment', 0],
    ]);
    const markdown = renderMarkdown(report);
    expect(markdown).toContain('| errors | fallback |');
    // errors, fallback, guardrail, then quality
    expect(markdown).toMatch(/\| recommendation \| ctl \| 20 \| 15 [^|]*\| 0\.00% \| 25\.00% \| 0\.00% \| 0\.900 /);
    expect(markdown).toContain('| control | ctl | 20 | 20 | 0.00% | 25.00% | 15 | 0.9000 |');
    expect(markdown).toContain('never scored');
  });
});
