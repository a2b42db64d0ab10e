import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { REPORT_FILE } from '../../analysis/eval/report-files.ts';
import { latestReport } from '../dashboard/load.ts';

/** One configuration's figures on one intent, live or offline. */
export interface ArmEvidence {
  configId: string;
  requests: number;
  scored: number;
  errorRate: number;
  meanQuality: number | null;
  passRate: number | null;
  p95LatencyMs: number | null;
  costPerRequest: number | null;
}

const Row = z.object({
  intent: z.string(),
  configId: z.string(),
  requests: z.number(),
  scored: z.number(),
  errorRate: z.number(),
  meanQuality: z.number().nullable(),
  passRate: z.number().nullable(),
  costPerRequest: z.number().nullable(),
  latencyMs: z.record(z.string(), z.number()).nullable(),
});

/** The part of an offline evaluation report (`eval-report.json`, see `npm run eval`) the planner reads. */
export const OfflineReport = z.object({
  runId: z.string(),
  generatedAt: z.string(),
  rows: z.array(Row),
  choices: z.array(z.object({ intent: z.string(), chosen: z.string().nullable(), reason: z.string() })),
});
export type OfflineReport = z.infer<typeof OfflineReport>;

/** The offline figures of the configuration in force and of the candidate on one intent. */
export function offlineFigures(
  report: OfflineReport,
  intent: string,
  baseline: string,
  candidate: string,
): { baseline: ArmEvidence | null; candidate: ArmEvidence | null } {
  const of = (configId: string): ArmEvidence | null => {
    const r = report.rows.find((x) => x.intent === intent && x.configId === configId);
    if (!r) return null;
    const { latencyMs, intent: _intent, ...rest } = r;
    return { ...rest, p95LatencyMs: latencyMs?.['95'] ?? null };
  };
  return { baseline: of(baseline), candidate: of(candidate) };
}

/**
 * The newest offline evaluation report in `evalDir` or one of its run directories (`eval-report.json`, as
 * `npm run eval` writes it; the dashboard shows the same one), or null when there is none; a file that is not
 * such a report is an error naming it.
 */
export function readOfflineReport(evalDir: string): OfflineReport | null {
  const path = latestReport(evalDir, REPORT_FILE);
  if (!path) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path} is not readable JSON: ${(err as Error).message}`);
  }
  const parsed = OfflineReport.safeParse(raw);
  if (!parsed.success) throw new Error(`${path} is not an evaluation report: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}
