import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { CanaryTimeline, DashboardAnalysis, EvalReport, type DashboardData } from '../../analysis/report/dashboard/inputs.ts';

/** Where the dashboard finds its data. */
export interface ReportsLoaderOptions {
  /** Directory holding `analysis.json` (itself or in one of its subdirectories; the newest wins). */
  reportsDir: string;
  /** Directory holding `eval-report.json`; default: `reportsDir`. */
  evalDir?: string;
  /** Canary timelines, e.g. from the canary controller; each item is validated. */
  canaries?: () => Promise<readonly unknown[]>;
  /** Ids of the experiments running now (counted on the Experiments tile even before the analysis sees them). */
  runningExperiments?: () => Promise<string[]>;
  title?: string;
}

type Read<T> = { ok: true; value: T } | { ok: false; message: string };

/** The newest file called `name` in `dir` or in one of its direct subdirectories, or null. */
export function latestReport(dir: string, name: string): string | null {
  if (!existsSync(dir)) return null;
  const candidates = [join(dir, name)];
  for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) candidates.push(join(dir, entry.name, name));
  let best: { path: string; mtime: number } | null = null;
  for (const path of candidates) {
    if (!existsSync(path)) continue;
    const mtime = statSync(path).mtimeMs;
    if (!best || mtime > best.mtime) best = { path, mtime };
  }
  return best?.path ?? null;
}

function readReport<S extends z.ZodType>(path: string, schema: S): Read<z.output<S>> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    return { ok: false, message: `${path} is not readable JSON: ${(err as Error).message}` };
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    return { ok: false, message: `${path} does not have the expected shape: ${issues}` };
  }
  return { ok: true, value: parsed.data };
}

async function readCanaries(source: NonNullable<ReportsLoaderOptions['canaries']>, notices: string[]): Promise<CanaryTimeline[]> {
  let items: readonly unknown[];
  try {
    items = await source();
  } catch (err) {
    notices.push(`canary timelines unavailable: ${(err as Error).message}`);
    return [];
  }
  return items.flatMap((item, i) => {
    const parsed = CanaryTimeline.safeParse(item);
    if (parsed.success) return [parsed.data];
    notices.push(`canary timeline ${i} skipped: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    return [];
  });
}

/**
 * A loader for the dashboard route: on every call it reads the newest `analysis.json` and `eval-report.json`
 * and the canary timelines. Missing reports leave their sections empty; unreadable ones become notices.
 */
export function reportsLoader(o: ReportsLoaderOptions): () => Promise<DashboardData> {
  return async () => {
    const notices: string[] = [];
    const data: DashboardData = { title: o.title, notices };
    const analysisPath = latestReport(o.reportsDir, 'analysis.json');
    if (analysisPath) {
      const read = readReport(analysisPath, DashboardAnalysis);
      if (read.ok) data.analysis = read.value;
      else notices.push(read.message);
    }
    const evalPath = latestReport(o.evalDir ?? o.reportsDir, 'eval-report.json');
    if (evalPath) {
      const read = readReport(evalPath, EvalReport);
      if (read.ok) data.evaluation = read.value;
      else notices.push(read.message);
    }
    if (o.canaries) data.canaries = await readCanaries(o.canaries, notices);
    if (o.runningExperiments) {
      try {
        data.runningExperiments = await o.runningExperiments();
      } catch (err) {
        notices.push(`running experiments unavailable: ${(err as Error).message}`);
      }
    }
    return data;
  };
}
