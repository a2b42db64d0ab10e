import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJob, type JobResult } from '../analysis/job.ts';
import { sampleRatioMismatch } from '../analysis/stats/proportions.ts';
import type { AuditEntry } from '../schema/admin.ts';
import { openDatabase } from '../stores/sqlite/database.ts';
import { writeExperimentRows } from './analysis-rows.ts';
import { tempDir } from './support/gateway.ts';

const T1 = 1_700_000_000_000;
/** When the split went from 0.1 to 0.5 (the admin commit). */
const T2 = T1 + 86_400_000;
const common = { sessionSd: 0.05, cartAdd: [0.12, 0.13] as [number, number], escalated: [0.05, 0.05] as [number, number] };
const recorded = [
  { fromSession: 0, treatmentShare: 0.1, time: T1, configVersion: 3 },
  { fromSession: 0, treatmentShare: 0.5, time: T2, configVersion: 5 },
];
const unrecorded = recorded.map((p) => ({ ...p, configVersion: null }));
const phases = (sessions: number, list: typeof recorded | typeof unrecorded) => [list[0]!, { ...list[1]!, fromSession: sessions / 2 }];
const experiment = (id: string, intent: string, split: number) => ({
  id,
  route: 'mangaassist',
  intent,
  control: 'sonnet-35-v1',
  treatment: 'sonnet-35-v2',
  split,
  status: 'running' as const,
});

let dir: string;
let store: string;
let db: Database.Database;
let audit: AuditEntry[];
let withHistory: JobResult;
let withoutHistory: JobResult;

beforeAll(async () => {
  dir = tempDir('analysis-assign-');
  store = join(dir, 'gateway.db');
  db = openDatabase(store);
  const arms = { control: 'sonnet-35-v1', treatment: 'sonnet-35-v2' };
  const rows = (experimentId: string, intent: string, sessions: number, periods: typeof recorded | typeof unrecorded, lostTreatment = 0) =>
    writeExperimentRows(db, {
      ...common,
      ...arms,
      experimentId,
      intent,
      treatmentShare: 0,
      sessions,
      seed: sessions + intent.length,
      periods: phases(sessions, periods),
      lostTreatment,
    });
  rows('changed', 'recommendation', 4_000, recorded);
  rows('lost', 'faq', 16_000, recorded, 0.05);
  rows('legacy', 'product_question', 4_000, unrecorded);
  writeExperimentRows(db, {
    ...common,
    ...arms,
    experimentId: 'unlisted',
    intent: 'order_tracking',
    treatmentShare: 0.5,
    sessions: 600,
    seed: 9,
  });
  const raw = JSON.parse(readFileSync('config/mangaassist.json', 'utf8')) as { experiments: unknown[] };
  // The configuration analysed has the current split, 0.5, for every listed experiment.
  raw.experiments = [
    experiment('changed', 'recommendation', 0.5),
    experiment('lost', 'faq', 0.5),
    experiment('legacy', 'product_question', 0.5),
  ];
  writeFileSync(join(dir, 'config.json'), JSON.stringify(raw));
  const seeded = { ...raw, experiments: [experiment('legacy', 'product_question', 0.1)] };
  const entry = (version: number, time: number, action: string, resource: string, before: unknown, after: unknown): AuditEntry => ({
    version,
    time,
    actor: 'admin',
    action,
    resource,
    before,
    after,
  });
  audit = [
    entry(1, T1 - 60_000, 'seed', 'config', null, seeded),
    entry(2, T1 + 1_000, 'replace', 'routes/mangaassist', null, { name: 'mangaassist' }),
    entry(4, T2, 'update', 'experiments/legacy', seeded.experiments[0], experiment('legacy', 'product_question', 0.5)),
  ];
  withHistory = await runJob({ store, configPath: join(dir, 'config.json'), outDir: join(dir, 'with'), audit });
  withoutHistory = await runJob({ store, configPath: join(dir, 'config.json'), outDir: join(dir, 'without') });
}, 120_000);

afterAll(() => {
  db?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const find = (r: JobResult, id: string) => r.report.experiments.find((e) => e.id === id)!;

describe('sample ratio per period of constant assignment (embedded store)', () => {
  it('does not call a split change from 0.1 to 0.5 a mismatch: each session is checked against the share it was routed with', () => {
    const srm = find(withHistory, 'changed').srm!;
    expect(srm.mismatch).toBe(false);
    expect(srm.periods.map((p) => [p.label, p.source, p.treatmentShare])).toEqual([
      ['version 3', 'recorded', 0.1],
      ['version 5', 'recorded', 0.5],
    ]);
    expect(srm.periods.reduce((n, p) => n + p.control + p.treatment, 0)).toBe(4_000);
    expect(sampleRatioMismatch(srm.observed, [0.5, 0.5]).mismatch).toBe(true);
    expect(withHistory.markdown).toContain('2 periods of constant assignment (version 3: 10.0% treatment (recorded at routing)');
  });

  it('flags 5% of treatment sessions lost across the split change and holds the decision for review', () => {
    const e = find(withHistory, 'lost');
    expect(e.srm!.mismatch).toBe(true);
    expect(e.srm!.observed[1]).toBeLessThan(e.srm!.expected[1]);
    expect(e.decision.decision).toBe('REVIEW');
  });

  it('takes the split of rows written before shares were recorded from the config store history', () => {
    const srm = find(withHistory, 'legacy').srm!;
    expect(srm.mismatch).toBe(false);
    expect(srm.periods.map((p) => [p.source, p.treatmentShare])).toEqual([
      ['history', 0.1],
      ['history', 0.5],
    ]);
    expect(srm.periods[1]!.label).toBe(`since ${new Date(T2).toISOString()} (version 4)`);
    // Without the history, the current split is all there is for those rows, and the old period looks broken.
    const fallback = find(withoutHistory, 'legacy').srm!;
    expect(fallback.periods.map((p) => [p.source, p.treatmentShare])).toEqual([['configuration', 0.5]]);
    expect(fallback.mismatch).toBe(true);
  });

  it('corrects one experiment asked for alone across the whole family, so its decision and p-values do not change', async () => {
    const alone = await runJob({ store, configPath: join(dir, 'config.json'), outDir: join(dir, 'alone'), audit, experimentId: 'changed' });
    expect(alone.report.experiments.map((e) => e.id)).toEqual(['changed']);
    const [one, all] = [alone.report.experiments[0]!, find(withHistory, 'changed')];
    expect(one.tests.map((t) => t.adjustedP)).toEqual(all.tests.map((t) => t.adjustedP));
    expect(one.decision).toEqual(all.decision);
  });

  it('says plainly when no split is known', () => {
    expect(find(withHistory, 'unlisted').srm).toBeNull();
    expect(withHistory.markdown).toMatch(/### unlisted[\s\S]*Sample ratio: split unknown: no expected share recorded/);
  });
});
