import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvalArgs } from '../analysis/eval/args.ts';
import { evalArgs } from './support/eval-args.ts';
import { startEmbeddedStack, type EmbeddedStack } from '../analysis/eval/cli-stack.ts';
import { runEvalCommand } from '../analysis/eval/command.ts';
import { readDataset, DEFAULT_DATASET } from '../analysis/eval/dataset.ts';
import { loadCurrentConfig } from '../stores/config/current.ts';

const SHIPPED = await loadCurrentConfig({ file: 'config/mangaassist.json' });

const SONNET_V2 = 'anthropic.claude-3-5-sonnet-20241022-v2:0';
const HAIKU = 'anthropic.claude-3-5-haiku-20241022-v1:0';
const quiet = { update: () => {}, finish: () => {} };

function args(dir: string, extra: string[] = []): EvalArgs {
  return evalArgs(dir, ['--configs', 'sonnet-35-v2,haiku-35', '--limit-per-intent', '3', ...extra]);
}

describe('side-by-side evaluation through the gateway', () => {
  let stack: EmbeddedStack;
  beforeAll(async () => {
    stack = await startEmbeddedStack({ configPath: 'config/mangaassist.json', randomFaults: false });
  });
  afterAll(async () => {
    await stack.close();
  });

  it('answers every case with both configurations and reports them side by side', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eval-'));
    stack.simulator.reset();
    const result = await runEvalCommand(args(dir), { gatewayUrl: stack.url, config: SHIPPED, progress: quiet });
    expect(result.summary).toMatchObject({ total: 48, skipped: 0, called: 48, errors: 0, aborted: false });
    expect(stack.simulator.calls(SONNET_V2)).toHaveLength(24);
    expect(stack.simulator.calls(HAIKU)).toHaveLength(24);
    expect(new Set(stack.simulator.log.map((c) => c.intent)).size).toBe(8);

    const db = new Database(join(dir, 'gateway.db'), { readonly: true });
    const rows = db
      .prepare(
        'SELECT test_id, config_id, status, quality, input_tokens, output_tokens, cost_usd, request_id FROM eval_results WHERE run_id = ?',
      )
      .all(result.runId) as {
      test_id: string;
      config_id: string;
      status: string;
      quality: number;
      input_tokens: number;
      output_tokens: number;
      cost_usd: number;
      request_id: string;
    }[];
    db.close();
    const cases = readDataset(DEFAULT_DATASET);
    const byTest = new Map<string, string[]>();
    for (const r of rows) byTest.set(r.test_id, [...(byTest.get(r.test_id) ?? []), r.config_id].sort());
    expect(byTest.size).toBe(24);
    for (const [testId, configs] of byTest) {
      expect(configs, testId).toEqual(['haiku-35', 'sonnet-35-v2']);
      expect(cases.some((c) => c.testId === testId)).toBe(true);
    }
    for (const r of rows) {
      expect(r.status).toBe('ok');
      expect(r.quality).toBeGreaterThanOrEqual(0);
      expect(r.input_tokens).toBeGreaterThan(0);
      expect(r.output_tokens).toBeGreaterThan(0);
      expect(r.request_id).toMatch(/\S/);
      // Haiku's price is a third of Sonnet's per token (the gateway's pricing table).
      const perToken = r.cost_usd / (r.input_tokens + 5 * r.output_tokens);
      expect(perToken * 1000).toBeCloseTo(r.config_id === 'haiku-35' ? 0.001 : 0.003, 8);
    }
    expect(result.report.rows).toHaveLength(16);
    for (const row of result.report.rows) expect(row).toMatchObject({ requests: 3, scored: 3, errorRate: 0 });
    expect(result.report.choices.map((c) => c.intent)).toEqual(result.report.dataset.intents);
  });

  it('records a failed call as an error, never as quality 0, and retries throttling', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eval-'));
    stack.simulator.reset();
    stack.simulator.setFault(HAIKU, { kind: 'error', count: 1 });
    stack.simulator.setFault(SONNET_V2, { kind: 'throttle', count: 2 });
    const result = await runEvalCommand(args(dir, ['--intents', 'faq', '--concurrency', '1']), {
      gatewayUrl: stack.url,
      config: SHIPPED,
      progress: quiet,
      retryBaseDelayMs: 1,
    });
    expect(result.summary).toMatchObject({ total: 6, called: 6, errors: 1 });
    expect(stack.simulator.calls(SONNET_V2)).toHaveLength(3 + 2);
    const db = new Database(join(dir, 'gateway.db'), { readonly: true });
    const failed = db.prepare(`SELECT * FROM eval_results WHERE status = 'error'`).all() as Record<string, unknown>[];
    db.close();
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({
      config_id: 'haiku-35',
      error_code: 'InternalServerException',
      quality: null,
      passed: null,
      relevance: null,
      input_tokens: 0,
    });
    const haiku = result.report.rows.find((r) => r.configId === 'haiku-35')!;
    expect(haiku).toMatchObject({ requests: 3, scored: 2 });
    expect(haiku.errorRate).toBeCloseTo(1 / 3);
    expect(haiku.meanQuality).toBeGreaterThan(0.5);

    // A rerun calls the failed pair again, and only it.
    stack.simulator.reset();
    const rerun = await runEvalCommand(args(dir, ['--intents', 'faq']), { gatewayUrl: stack.url, config: SHIPPED, progress: quiet });
    expect(rerun.summary).toMatchObject({ skipped: 5, called: 1, errors: 0 });
    expect(stack.simulator.calls(HAIKU)).toHaveLength(1);
    expect(rerun.report.rows.find((r) => r.configId === 'haiku-35')).toMatchObject({ requests: 3, scored: 3, errorRate: 0 });
  });
});
