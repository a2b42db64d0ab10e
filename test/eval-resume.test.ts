import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvalArgs } from '../analysis/eval/args.ts';
import { evalArgs } from './support/eval-args.ts';
import { startEmbeddedStack, type EmbeddedStack } from '../analysis/eval/cli-stack.ts';
import { runEvalCommand } from '../analysis/eval/command.ts';
import type { EvalReport } from '../analysis/eval/report.ts';
import { sqliteEvalStore } from '../analysis/eval/store.ts';
import { openDatabase } from '../stores/sqlite/database.ts';
import { loadCurrentConfig } from '../stores/config/current.ts';

const SHIPPED = await loadCurrentConfig({ file: 'config/mangaassist.json' });

const quiet = { update: () => {}, finish: () => {} };

function args(dir: string, runId: string): EvalArgs {
  return evalArgs(dir, ['--configs', 'sonnet-35-v1,haiku-35', '--limit-per-intent', '5', '--run-id', runId], runId);
}

/** The report without what legitimately changes between runs: time, run id, and wall-clock latency. */
function stable(report: EvalReport): unknown {
  return {
    dataset: report.dataset,
    configs: report.configs,
    rows: report.rows.map(({ latencyMs: _l, ttftMs: _t, qualityPerP95Second: _q, ...rest }) => rest),
    choices: report.choices.map((c) => ({ intent: c.intent, chosen: c.chosen, closest: c.closest, passing: c.passing })),
  };
}

describe('resuming an interrupted evaluation', () => {
  let stack: EmbeddedStack;
  beforeAll(async () => {
    stack = await startEmbeddedStack({ configPath: 'config/mangaassist.json', randomFaults: false });
  });
  afterAll(async () => {
    await stack.close();
  });

  it('calls only the missing pairs on a rerun and gives the same report as an uninterrupted run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eval-resume-'));
    const controller = new AbortController();
    const stopAfter20 = { update: (done: number) => (done >= 20 ? controller.abort() : undefined), finish: () => {} };
    const first = await runEvalCommand(args(dir, 'interrupted'), {
      gatewayUrl: stack.url,
      config: SHIPPED,
      progress: stopAfter20,
      signal: controller.signal,
    });
    expect(first.summary.aborted).toBe(true);
    const finished = first.summary.called;
    expect(finished).toBeGreaterThanOrEqual(20);
    expect(finished).toBeLessThan(80);

    stack.simulator.reset();
    const second = await runEvalCommand(args(dir, 'interrupted'), { gatewayUrl: stack.url, config: SHIPPED, progress: quiet });
    expect(second.summary).toMatchObject({ total: 80, skipped: finished, called: 80 - finished, aborted: false });
    expect(stack.simulator.log).toHaveLength(80 - finished);

    const third = await runEvalCommand(args(dir, 'interrupted'), { gatewayUrl: stack.url, config: SHIPPED, progress: quiet });
    expect(third.summary).toMatchObject({ skipped: 80, called: 0 });

    const clean = await runEvalCommand(args(dir, 'clean'), { gatewayUrl: stack.url, config: SHIPPED, progress: quiet });
    expect(clean.summary).toMatchObject({ called: 80, errors: 0 });
    expect(stable(second.report)).toEqual(stable(clean.report));
    expect(stable(third.report)).toEqual(stable(clean.report));
  });

  it('reports pass rates at --gate, and a run with other scoring gets its own default run id', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eval-gate-'));
    const argv = (...extra: string[]): EvalArgs => {
      return evalArgs(dir, ['--configs', 'sonnet-35-v1,haiku-35', '--limit-per-intent', '2', ...extra]);
    };
    const normal = await runEvalCommand(argv(), { gatewayUrl: stack.url, config: SHIPPED, progress: quiet });
    const strict = await runEvalCommand(argv('--gate', '0.9'), { gatewayUrl: stack.url, config: SHIPPED, progress: quiet });
    expect(strict.runId).toBe(`${normal.runId}-gate0.9`);
    expect(strict.summary).toMatchObject({ skipped: 0, called: normal.summary.total });

    const db = openDatabase(join(dir, 'gateway.db'), { readonly: true });
    const results = sqliteEvalStore(db).results(strict.runId);
    db.close();
    for (const row of strict.report.rows) {
      const scored = results.filter((r) => r.intent === row.intent && r.configId === row.configId && r.quality !== null);
      expect(row.passRate, `${row.intent} ${row.configId}`).toBe(scored.filter((r) => r.quality! >= 0.9).length / scored.length);
    }
    const passRates = (report: EvalReport) => report.rows.map((r) => r.passRate);
    expect(passRates(strict.report)).not.toEqual(passRates(normal.report));
  });
});
