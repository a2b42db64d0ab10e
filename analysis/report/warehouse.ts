import { randomUUID } from 'node:crypto';
import type { SqlRunner, Warehouse } from '../../stores/warehouse/interface.ts';
import { migrate } from '../../stores/warehouse/migrations.ts';
import type { AnalysisReport } from './build.ts';

type Value = string | number | boolean | null;

async function insertRows(tx: SqlRunner, table: string, rows: Record<string, Value>[]): Promise<void> {
  if (!rows.length) return;
  const names = Object.keys(rows[0]!);
  const params: Value[] = [];
  const tuples = rows.map(
    (row) =>
      `(${names
        .map((n) => {
          params.push(row[n] ?? null);
          return `$${params.length}`;
        })
        .join(', ')})`,
  );
  await tx.query(`INSERT INTO ${table} (${names.join(', ')}) VALUES ${tuples.join(', ')}`, params);
}

const finite = (x: number | null | undefined): number | null => (x === null || x === undefined || !Number.isFinite(x) ? null : x);

function intentRows(runId: string, report: AnalysisReport): Record<string, Value>[] {
  const table = report.recommendation?.route.table ?? {};
  return report.intents.map((r) => ({
    run_id: runId,
    intent: r.intent,
    config_id: r.configId,
    requests: r.requests,
    error_rate: r.errorRate,
    scored: r.scored,
    mean_quality: finite(r.meanQuality),
    quality_ci_low: finite(r.qualityCi?.[0]),
    quality_ci_high: finite(r.qualityCi?.[1]),
    pass_rate: finite(r.passRate),
    cost_per_request: finite(r.costPerRequest),
    cost_per_satisfactory: finite(r.costPerSatisfactory),
    quality_per_1k_tokens: finite(r.qualityPer1kTokens),
    latency_p50_ms: finite(r.latencyMs?.[50]),
    latency_p95_ms: finite(r.latencyMs?.[95]),
    latency_p99_ms: finite(r.latencyMs?.[99]),
    ttft_p50_ms: finite(r.ttftMs?.[50]),
    ttft_p95_ms: finite(r.ttftMs?.[95]),
    ttft_p99_ms: finite(r.ttftMs?.[99]),
    quality_per_p95_second: finite(r.qualityPerP95Second),
    recommended: table[r.intent] === r.configId,
  }));
}

function experimentRows(runId: string, report: AnalysisReport): Record<string, Value>[] {
  return report.experiments.flatMap((e) => {
    const quality = e.tests.find((t) => t.metric === 'quality');
    return e.arms.map((a) => ({
      run_id: runId,
      experiment_id: e.id,
      intent: e.intent,
      arm: a.arm,
      config_id: a.configId,
      sessions: a.sessions,
      requests: a.requests,
      scored: a.scored,
      error_rate: a.errorRate,
      mean_quality: a.meanQuality,
      cost_per_request: a.costPerRequest,
      quality_diff: e.quality.session.diff,
      quality_se: e.quality.session.se,
      quality_p: e.quality.session.p,
      quality_adjusted_p: quality?.adjustedP ?? e.quality.session.p,
      srm_mismatch: e.srm?.mismatch ?? null,
      cost_delta_per_request: e.costDeltaPerRequest,
      cost_delta_per_month: finite(e.costDeltaPerMonth),
      decision: e.decision.decision,
      reason: e.decision.reason.slice(0, 4000),
    }));
  });
}

/**
 * Writes one analysis run to the warehouse: a row in `analysis_runs`, one per (intent, configuration) in
 * `analysis_intent_results` and one per experiment arm in `analysis_experiment_results`, in one transaction
 * (rows of the same run id are replaced). Returns the run id.
 */
export async function writeAnalysisResults(
  wh: Warehouse,
  report: AnalysisReport,
  source: string,
  runId: string = randomUUID(),
): Promise<string> {
  await migrate(wh);
  const rec = report.recommendation;
  await wh.transaction(async (tx) => {
    for (const table of ['analysis_runs', 'analysis_intent_results', 'analysis_experiment_results']) {
      await tx.query(`DELETE FROM ${table} WHERE run_id = $1`, [runId]);
    }
    await insertRows(tx, 'analysis_runs', [
      {
        run_id: runId,
        generated_at: report.generatedAt.replace('T', ' ').replace('Z', ''),
        since_ms: report.since ? Date.parse(report.since) : null,
        source,
        live_requests: report.liveRequests,
        intents: report.intents.length,
        experiments: report.experiments.length,
        current_monthly_usd: finite(rec?.currentMonthlyUsd),
        recommended_monthly_usd: finite(rec?.recommendedMonthlyUsd),
        monthly_saving_usd: finite(rec?.monthlySavingUsd),
        settings: JSON.stringify(report.settings),
      },
    ]);
    const intents = intentRows(runId, report);
    for (let i = 0; i < intents.length; i += 500) await insertRows(tx, 'analysis_intent_results', intents.slice(i, i + 500));
    await insertRows(tx, 'analysis_experiment_results', experimentRows(runId, report));
  });
  return runId;
}
