import type { Price } from '../../schema/config.ts';
import { converseCall, type GatewayClientOptions } from './client.ts';
import type { GoldenCase } from './dataset.ts';
import { askJudge, combineScores, type JudgeOptions } from './judge.ts';
import { buildPrompt } from './prompt.ts';
import { DEFAULT_GATE, scoreAnswer } from './scorer.ts';
import { pairKey, type EvalResult, type EvalStore } from './store.ts';

/** Everything one run needs. */
export interface RunOptions {
  client: GatewayClientOptions;
  store: EvalStore;
  runId: string;
  /** Dataset label stored with each result (its path). */
  dataset: string;
  cases: readonly GoldenCase[];
  configs: readonly string[];
  /** Price of a configuration (the gateway's pricing table); undefined leaves cost unknown. */
  priceOf: (configId: string) => Price | undefined;
  /** Calls in flight at once (default 4). */
  concurrency?: number;
  judge?: JudgeOptions;
  gate?: number;
  /** Called once before the first call: pairs already finished (skipped) and pairs of the whole run. */
  onStart?: (skipped: number, total: number) => void;
  /** Called after each stored result. */
  onResult?: (result: EvalResult, done: number, total: number) => void;
  /** Stops starting new calls; calls in flight finish and are stored. */
  signal?: AbortSignal;
}

/** What a run did. */
export interface RunSummary {
  /** Pairs of the whole run (cases x configurations). */
  total: number;
  /** Pairs already finished by an earlier run with the same id. */
  skipped: number;
  /** Pairs called now. */
  called: number;
  errors: number;
  aborted: boolean;
}

/** Cost in USD from per-1K-token prices (the gateway's metering formula). */
export function costUsd(price: Price | undefined, inputTokens: number, outputTokens: number): number | null {
  return price ? (inputTokens * price.inputPer1k + outputTokens * price.outputPer1k) / 1000 : null;
}

/**
 * Runs every case on every configuration through the gateway, with bounded concurrency, scoring each
 * answer and storing each result as it arrives. Pairs the run already finished are skipped, so an
 * interrupted run resumes where it stopped; failed pairs are called again.
 */
export async function runEvaluation(options: RunOptions): Promise<RunSummary> {
  const finished = options.store.finishedPairs(options.runId);
  const pairs = options.cases.flatMap((c) => options.configs.map((configId) => ({ c, configId })));
  const todo = pairs.filter((p) => !finished.has(pairKey(p.c.testId, p.configId)));
  const summary: RunSummary = { total: pairs.length, skipped: pairs.length - todo.length, called: 0, errors: 0, aborted: false };
  options.onStart?.(summary.skipped, summary.total);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < todo.length) {
      if (options.signal?.aborted) {
        summary.aborted = true;
        return;
      }
      const { c, configId } = todo[next++]!;
      const result = await evaluatePair(options, c, configId);
      options.store.save(result);
      summary.called++;
      if (result.status === 'error') summary.errors++;
      options.onResult?.(result, summary.skipped + summary.called, summary.total);
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency ?? 4, todo.length || 1));
  await Promise.all(Array.from({ length: workers }, worker));
  return summary;
}

async function evaluatePair(options: RunOptions, c: GoldenCase, configId: string): Promise<EvalResult> {
  const time = Date.now();
  const outcome = await converseCall(options.client, configId, buildPrompt(c), {
    intent: c.intent,
    sessionId: `eval:${options.runId}:${c.testId}`,
  });
  const base = {
    runId: options.runId,
    dataset: options.dataset,
    testId: c.testId,
    intent: c.intent,
    configId,
    requestId: outcome.requestId,
    latencyMs: outcome.latencyMs,
    time,
  };
  const price = options.priceOf(configId);
  if (!outcome.ok) {
    return {
      ...base,
      status: 'error',
      errorCode: outcome.errorCode,
      quality: null,
      passed: null,
      dimensions: null,
      judge: null,
      inputTokens: 0,
      outputTokens: 0,
      costUsd: costUsd(price, 0, 0),
      ttftMs: null,
    };
  }
  const gate = options.gate ?? DEFAULT_GATE;
  const score = scoreAnswer(c, outcome.text, { outputTokens: outcome.outputTokens, gate });
  let judge: number | null = null;
  if (options.judge) {
    const graded = await askJudge(options.client, options.judge, c, outcome.text);
    judge = graded.ok ? graded.score : null;
  }
  const quality = combineScores(score.composite, judge, options.judge?.weight ?? 0);
  return {
    ...base,
    status: 'ok',
    errorCode: null,
    quality,
    passed: quality >= gate,
    dimensions: score.dimensions,
    judge,
    inputTokens: outcome.inputTokens,
    outputTokens: outcome.outputTokens,
    costUsd: costUsd(price, outcome.inputTokens, outcome.outputTokens),
    // A non-streamed answer arrives whole: its first token comes with its last.
    ttftMs: outcome.latencyMs,
  };
}
