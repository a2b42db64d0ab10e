import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evalArgs } from './support/eval-args.ts';
import { startEmbeddedStack, type EmbeddedStack } from '../analysis/eval/cli-stack.ts';
import { runEvalCommand } from '../analysis/eval/command.ts';
import { DEFAULT_DATASET, readDataset } from '../analysis/eval/dataset.ts';
import { askJudge } from '../analysis/eval/judge.ts';
import { sqliteEvalStore } from '../analysis/eval/store.ts';
import { DIMENSIONS, weightsOf } from '../analysis/eval/weights.ts';
import { openDatabase } from '../stores/sqlite/database.ts';
import { loadCurrentConfig } from '../stores/config/current.ts';

const SHIPPED = await loadCurrentConfig({ file: 'config/mangaassist.json' });

const SONNET_V2 = 'anthropic.claude-3-5-sonnet-20241022-v2:0';

describe('judge scorer through the gateway', () => {
  let stack: EmbeddedStack;
  beforeAll(async () => {
    stack = await startEmbeddedStack({ configPath: 'config/mangaassist.json', randomFaults: false });
  });
  afterAll(async () => {
    await stack.close();
  });

  it('grades the reference answer high and filler low', async () => {
    const c = readDataset(DEFAULT_DATASET).find((x) => x.intent === 'order_tracking')!;
    const client = { baseUrl: stack.url };
    const judge = { configId: 'sonnet-35-v2', weight: 0.5 };
    const good = await askJudge(client, judge, c, c.referenceAnswer);
    const poor = await askJudge(client, judge, c, 'Thank you for shopping with us. Hope this helps!');
    expect(good).toEqual({ ok: true, score: expect.any(Number) });
    expect(poor).toEqual({ ok: true, score: expect.any(Number) });
    if (!good.ok || !poor.ok) return;
    expect(good.score).toBeGreaterThan(0.9);
    expect(poor.score).toBeLessThan(0.3);
  });

  it('combines the judge score with the rule-based composite by the configured weight', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eval-judge-'));
    const args = evalArgs(dir, [
      '--configs',
      'sonnet-35-v2,haiku-35',
      '--intents',
      'faq,order_tracking',
      '--limit-per-intent',
      '3',
      '--judge',
      'sonnet-35-v2',
      '--judge-weight',
      '0.4',
    ]);
    stack.simulator.reset();
    const { runId, report } = await runEvalCommand(args, {
      gatewayUrl: stack.url,
      config: SHIPPED,
      progress: { update: () => {}, finish: () => {} },
    });
    // 12 answers, each graded once by the judge configuration (Sonnet v2): 6 + 12 Sonnet calls.
    expect(stack.simulator.calls(SONNET_V2)).toHaveLength(18);
    const db = openDatabase(join(dir, 'gateway.db'));
    const results = sqliteEvalStore(db).results(runId);
    db.close();
    const cases = new Map(readDataset(DEFAULT_DATASET).map((c) => [c.testId, c]));
    expect(results).toHaveLength(12);
    for (const r of results) {
      expect(r.judge).toBeGreaterThanOrEqual(0);
      expect(r.judge).toBeLessThanOrEqual(1);
      expect(cases.has(r.testId)).toBe(true);
    }
    for (const row of report.rows) expect(row.dimensions.judge).not.toBeNull();
    // quality = 0.6 x rule composite + 0.4 x judge: recover the rule composite and check it is the stored dimensions' weighted mean.
    const r = results[0]!;
    const rule = (r.quality! - 0.4 * r.judge!) / 0.6;
    const d = r.dimensions!;
    const w = weightsOf(r.intent);
    expect(rule).toBeCloseTo(
      DIMENSIONS.reduce((sum, k) => sum + w[k] * d[k], 0),
      6,
    );
  });
});
