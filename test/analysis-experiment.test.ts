import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJob, type JobResult } from '../analysis/job.ts';
import { openDatabase } from '../stores/sqlite/database.ts';
import { tempDir } from './support/gateway.ts';
import { writeExperimentRows } from './analysis-rows.ts';

let result: JobResult;
let dir: string;

beforeAll(async () => {
  dir = tempDir('analysis-exp-');
  const store = join(dir, 'gateway.db');
  const db = openDatabase(store);
  const common = {
    sessions: 3000,
    sessionSd: 0.05,
    cartAdd: [0.12, 0.15] as [number, number],
    escalated: [0.05, 0.04] as [number, number],
  };
  writeExperimentRows(db, {
    ...common,
    experimentId: 'sonnet3-to-v2',
    intent: 'recommendation',
    control: 'sonnet-3',
    treatment: 'sonnet-35-v2',
    treatmentShare: 0.5,
    seed: 5,
  });
  writeExperimentRows(db, {
    ...common,
    experimentId: 'skewed',
    intent: 'faq',
    control: 'sonnet-35-v1',
    treatment: 'haiku-35',
    treatmentShare: 0.4,
    seed: 6,
  });
  db.close();
  const config = JSON.parse(readFileSync('config/mangaassist.json', 'utf8')) as { experiments: unknown[] };
  config.experiments = [
    { id: 'sonnet3-to-v2', route: 'mangaassist', intent: 'recommendation', control: 'sonnet-3', treatment: 'sonnet-35-v2', split: 0.5 },
    { id: 'skewed', route: 'mangaassist', intent: 'faq', control: 'sonnet-35-v1', treatment: 'haiku-35', split: 0.5 },
  ];
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  result = await runJob({ store, configPath: join(dir, 'config.json'), outDir: join(dir, 'reports') });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('experiments section', () => {
  it('promotes a clearly better treatment at equal price, with every test reported', () => {
    const e = result.report.experiments.find((x) => x.id === 'sonnet3-to-v2')!;
    expect(e.decision.decision).toBe('PROMOTE');
    expect(e.srm!.mismatch).toBe(false);
    expect(e.quality.ready).toBe(true);
    expect(e.quality.session.diff).toBeGreaterThan(0.03);
    expect(e.quality.sequential.significant).toBe(true);
    expect(e.quality.lift.lift).toBeGreaterThan(0.03);
    expect(e.outcomes.cartAdd!.treatment.rate).toBeGreaterThan(e.outcomes.cartAdd!.control.rate);
    expect(e.outcomes.escalated).not.toBeNull();
    expect(e.outcomes.sessionDuration).not.toBeNull();
    expect(e.tests.map((t) => t.metric)).toEqual(['quality', 'errors', 'cart_add', 'escalated', 'session_duration_s']);
    for (const t of e.tests) expect(t.adjustedP).toBeGreaterThanOrEqual(t.p);
  });

  it('shows the session-level interval beside the naive per-request one, wider when sessions are correlated', () => {
    const e = result.report.experiments.find((x) => x.id === 'sonnet3-to-v2')!;
    expect(e.quality.session.se).toBeGreaterThan(e.quality.naive.se);
    expect(result.markdown).toContain('session level (delta method)');
    expect(result.markdown).toContain('naive per request (Welch)');
  });

  it('flags a sample ratio mismatch and holds the decision for review', () => {
    const e = result.report.experiments.find((x) => x.id === 'skewed')!;
    expect(e.srm!.mismatch).toBe(true);
    expect(e.decision.decision).toBe('REVIEW');
  });
});
