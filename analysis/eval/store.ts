import type Database from 'better-sqlite3';
import type { Dimension } from './weights.ts';

/** One (case, configuration) outcome of a run: a scored answer, or a failed call (never scored). */
export interface EvalResult {
  runId: string;
  dataset: string;
  testId: string;
  intent: string;
  configId: string;
  requestId: string | null;
  status: 'ok' | 'error';
  errorCode: string | null;
  /** Composite quality (rule-based, or combined with the judge); null for failed calls. */
  quality: number | null;
  passed: boolean | null;
  dimensions: Record<Dimension, number> | null;
  judge: number | null;
  inputTokens: number;
  outputTokens: number;
  costUsd: number | null;
  latencyMs: number;
  ttftMs: number | null;
  /** Epoch ms when the call started. */
  time: number;
}

/** Reads and writes the `eval_results` table. */
export interface EvalStore {
  /** Stores a result, replacing an earlier one of the same (run, case, configuration) by a row with a new `seq`. */
  save(result: EvalResult): void;
  /** Keys `testId\u0000configId` of the run's successful results: the pairs a rerun skips. */
  finishedPairs(runId: string): Set<string>;
  /** Every result of a run, in (intent, configuration, case) order. */
  results(runId: string): EvalResult[];
  /** Deletes every stored result of a run (`--fresh`); returns how many there were. */
  discard(runId: string): number;
}

interface Row {
  run_id: string;
  dataset: string;
  test_id: string;
  intent: string;
  config_id: string;
  request_id: string | null;
  status: string;
  error_code: string | null;
  quality: number | null;
  passed: number | null;
  relevance: number | null;
  factual_accuracy: number | null;
  completeness: number | null;
  format: number | null;
  policy_safety: number | null;
  judge: number | null;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number | null;
  latency_ms: number;
  ttft_ms: number | null;
  time: number;
}

/** The pair key of `finishedPairs`. */
export function pairKey(testId: string, configId: string): string {
  return `${testId}\u0000${configId}`;
}

/** An eval store over a database opened with `openDatabase` (which creates the table). */
export function sqliteEvalStore(db: Database.Database): EvalStore {
  const insert =
    db.prepare(`INSERT INTO eval_results (run_id, dataset, test_id, intent, config_id, request_id, status, error_code, quality, passed,
      relevance, factual_accuracy, completeness, format, policy_safety, judge, input_tokens, output_tokens, cost_usd, latency_ms, ttft_ms, time)
    VALUES (@run_id, @dataset, @test_id, @intent, @config_id, @request_id, @status, @error_code, @quality, @passed,
      @relevance, @factual_accuracy, @completeness, @format, @policy_safety, @judge, @input_tokens, @output_tokens, @cost_usd, @latency_ms, @ttft_ms, @time)`);
  const remove = db.prepare('DELETE FROM eval_results WHERE run_id = ? AND test_id = ? AND config_id = ?');
  // Delete, then insert: the new row takes a new `seq`, above any export's high-water mark, so it is exported again.
  const replace = db.transaction((row: Row) => {
    remove.run(row.run_id, row.test_id, row.config_id);
    insert.run(row);
  });
  const finished = db.prepare(`SELECT test_id, config_id FROM eval_results WHERE run_id = ? AND status = 'ok'`);
  const all = db.prepare(`SELECT * FROM eval_results WHERE run_id = ? ORDER BY intent, config_id, test_id`);
  const discard = db.prepare('DELETE FROM eval_results WHERE run_id = ?');
  return {
    save: (r) => replace(toRow(r)),
    finishedPairs(runId) {
      const rows = finished.all(runId) as { test_id: string; config_id: string }[];
      return new Set(rows.map((r) => pairKey(r.test_id, r.config_id)));
    },
    results: (runId) => (all.all(runId) as Row[]).map(fromRow),
    discard: (runId) => discard.run(runId).changes,
  };
}

function toRow(r: EvalResult): Row {
  const d = r.dimensions;
  return {
    run_id: r.runId,
    dataset: r.dataset,
    test_id: r.testId,
    intent: r.intent,
    config_id: r.configId,
    request_id: r.requestId,
    status: r.status,
    error_code: r.errorCode,
    quality: r.quality,
    passed: r.passed === null ? null : Number(r.passed),
    relevance: d?.relevance ?? null,
    factual_accuracy: d?.factual_accuracy ?? null,
    completeness: d?.completeness ?? null,
    format: d?.format ?? null,
    policy_safety: d?.policy_safety ?? null,
    judge: r.judge,
    input_tokens: r.inputTokens,
    output_tokens: r.outputTokens,
    cost_usd: r.costUsd,
    latency_ms: r.latencyMs,
    ttft_ms: r.ttftMs,
    time: r.time,
  };
}

function fromRow(row: Row): EvalResult {
  const scored = row.relevance !== null;
  return {
    runId: row.run_id,
    dataset: row.dataset,
    testId: row.test_id,
    intent: row.intent,
    configId: row.config_id,
    requestId: row.request_id,
    status: row.status === 'ok' ? 'ok' : 'error',
    errorCode: row.error_code,
    quality: row.quality,
    passed: row.passed === null ? null : row.passed === 1,
    dimensions: scored
      ? {
          relevance: row.relevance!,
          factual_accuracy: row.factual_accuracy!,
          completeness: row.completeness!,
          format: row.format!,
          policy_safety: row.policy_safety!,
        }
      : null,
    judge: row.judge,
    inputTokens: row.input_tokens,
    outputTokens: row.output_tokens,
    costUsd: row.cost_usd,
    latencyMs: row.latency_ms,
    ttftMs: row.ttft_ms,
    time: row.time,
  };
}
