import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvalArgs } from '../analysis/eval/args.ts';
import { evalArgs } from './support/eval-args.ts';
import { startEmbeddedStack, type EmbeddedStack } from '../analysis/eval/cli-stack.ts';
import { runEvalCommand } from '../analysis/eval/command.ts';
import { lineProgress } from '../analysis/eval/progress.ts';
import type { EvalReport } from '../analysis/eval/report.ts';
import { gatewayTag } from '../analysis/eval/run-id.ts';
import { loadCurrentConfig } from '../stores/config/current.ts';

const SHIPPED = await loadCurrentConfig({ file: 'config/mangaassist.json' });
const quiet = { update: () => {}, finish: () => {} };

describe('rerunning an evaluation', () => {
  let stack: EmbeddedStack;
  let dir: string;
  beforeAll(async () => {
    stack = await startEmbeddedStack({ configPath: 'config/mangaassist.json', randomFaults: false });
    dir = mkdtempSync(join(tmpdir(), 'eval-rerun-'));
  });
  afterAll(async () => {
    await stack.close();
  });

  /** Two intents, `perIntent` cases each, two configurations; results and report in `dir`. */
  function args(perIntent: number, ...extra: string[]): EvalArgs {
    return evalArgs(dir, [
      '--configs',
      'sonnet-35-v2,haiku-35',
      '--intents',
      'faq,chitchat',
      '--limit-per-intent',
      String(perIntent),
      ...extra,
    ]);
  }
  async function run(a: EvalArgs, gatewayUrl = stack.url) {
    const log: string[] = [];
    const result = await runEvalCommand(a, { gatewayUrl, config: SHIPPED, progress: quiet, log: (l) => log.push(l) });
    return { ...result, log };
  }

  it('keys results by gateway, says up front what it reuses, starts over with --fresh, and keeps the larger report', async () => {
    const first = await run(args(2));
    expect(first.runId).toMatch(/-embedded$/);
    expect(first.summary).toMatchObject({ total: 8, skipped: 0, called: 8 });
    expect(first.log).toEqual([]);

    const rerun = await run(args(2));
    expect(rerun.summary).toMatchObject({ skipped: 8, called: 0 });
    expect(rerun.log).toEqual([
      `eval: reusing 8 of 8 pairs already finished in run ${first.runId} (not called again); ` +
        "to start fresh, rerun with --fresh (discards that run's results) or another --run-id",
    ]);

    const gateway = stack.url;
    const other = await run(args(2, '--gateway', gateway));
    expect(other.runId).toBe(first.runId.replace(/embedded$/, gatewayTag(gateway)));
    expect(other.runId).not.toBe(first.runId);
    expect(other.summary).toMatchObject({ skipped: 0, called: 8 });
    expect(other.log).toEqual([]);

    stack.simulator.reset();
    const fresh = await run(args(2, '--fresh'));
    expect(fresh).toMatchObject({ runId: first.runId, discarded: 8 });
    expect(fresh.summary).toMatchObject({ skipped: 0, called: 8 });
    expect(stack.simulator.log).toHaveLength(8);
    expect(fresh.log).toEqual([`eval: --fresh: discarded 8 stored results of run ${first.runId}`]);

    const smaller = await run(args(1));
    expect(smaller.summary).toMatchObject({ total: 4, skipped: 4, called: 0 });
    expect(smaller.log[0]).toMatch(/^eval: reusing 4 of 4 pairs/);
    expect(smaller.kept).toBe(`${join(dir, 'out', 'eval-report.json')} covers more: 4 cases, this run 2`);
    expect(smaller.jsonPath).toMatch(/eval-report\.\d{8}T\d{6}Z(-\d+)?\.json$/);
    expect(smaller.log[1]).toBe(`eval: kept the existing report (${smaller.kept}); this run's report is ${smaller.jsonPath}`);
    const main = JSON.parse(readFileSync(join(dir, 'out', 'eval-report.json'), 'utf8')) as EvalReport;
    expect(main.dataset.cases).toBe(4);
    expect((JSON.parse(readFileSync(smaller.jsonPath, 'utf8')) as EvalReport).dataset.cases).toBe(2);
  });

  it('writes progress lines when given line progress', async () => {
    const lines: string[] = [];
    const result = await runEvalCommand(args(1, '--run-id', 'lines'), {
      gatewayUrl: stack.url,
      config: SHIPPED,
      progress: lineProgress((l) => lines.push(l)),
      log: () => {},
    });
    expect(result.summary.called).toBe(4);
    expect(lines.length).toBeGreaterThanOrEqual(4);
    expect(lines.at(-1)).toMatch(/^eval: progress 4\/4 pairs \(100\.0%\), 0 errors, [\d.]+ s elapsed, [\d.]+ pairs\/s$/);
  });
});
