import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { renderDashboard } from '../report/dashboard.ts';
import { DASHBOARD_FILE, writeDashboard } from '../report/write-dashboard.ts';
import type { EvalReport } from './report.ts';

/** File name of the JSON report in the output directory; the Markdown one ends in `.md`. */
export const REPORT_FILE = 'eval-report.json';

/** Where a report went. */
export interface WrittenReport {
  jsonPath: string;
  markdownPath: string;
  dashboardPath: string;
  /** Set when the report was written beside an existing one, which was kept: why. */
  kept: string | null;
}

/** The part of an existing report that says what it covers. */
const Coverage = z.object({
  dataset: z.object({ cases: z.number(), intents: z.array(z.string()) }),
  configs: z.array(z.string()),
});

/**
 * Why the report at `path` must be kept rather than replaced by `report`: it is not a readable evaluation
 * report, or it covers more cases, another intent or another configuration. Null when `report` covers it.
 */
export function whyKeep(path: string, report: EvalReport): string | null {
  if (!existsSync(path)) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return `${path} is not readable JSON`;
  }
  const parsed = Coverage.safeParse(raw);
  if (!parsed.success) return `${path} is not an evaluation report`;
  const old = parsed.data;
  const missing = (mine: readonly string[], theirs: readonly string[]) => theirs.filter((x) => !mine.includes(x));
  const reasons: string[] = [];
  if (old.dataset.cases > report.dataset.cases) reasons.push(`${old.dataset.cases} cases, this run ${report.dataset.cases}`);
  const intents = missing(report.dataset.intents, old.dataset.intents);
  if (intents.length) reasons.push(`intents ${intents.join(', ')}, not in this run`);
  const configs = missing(report.configs, old.configs);
  if (configs.length) reasons.push(`configurations ${configs.join(', ')}, not in this run`);
  return reasons.length ? `${path} covers more: ${reasons.join('; ')}` : null;
}

/** `20261129T230102Z` from an ISO time. */
function stampOf(iso: string): string {
  return iso.replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '');
}

/**
 * Writes `eval-report.json`, `eval-report.md` and `dashboard.html` to `outDir`, except that a report there is
 * never replaced by one that covers less (fewer cases, or not all of its intents and configurations; see
 * `whyKeep`): this run's report then goes beside it as `eval-report.<time>.{json,md}` and
 * `dashboard.<time>.html` (time of the report, UTC, `-2`, `-3`… if taken) and the larger one stays.
 */
export function writeReportFiles(outDir: string, report: EvalReport, markdown: string, title: string): WrittenReport {
  mkdirSync(outDir, { recursive: true });
  const mainJson = join(outDir, REPORT_FILE);
  const kept = whyKeep(mainJson, report);
  const json = `${JSON.stringify(report, null, 2)}\n`;
  if (kept === null) {
    const markdownPath = join(outDir, 'eval-report.md');
    writeFileSync(mainJson, json);
    writeFileSync(markdownPath, markdown);
    const dashboardPath = writeDashboard(mainJson, { evaluation: report, title });
    return { jsonPath: mainJson, markdownPath, dashboardPath, kept };
  }
  const stamp = stampOf(report.generatedAt);
  let name = stamp;
  for (let n = 2; existsSync(join(outDir, `eval-report.${name}.json`)); n++) name = `${stamp}-${n}`;
  const jsonPath = join(outDir, `eval-report.${name}.json`);
  const markdownPath = join(outDir, `eval-report.${name}.md`);
  const dashboardPath = join(outDir, DASHBOARD_FILE.replace(/\.html$/, `.${name}.html`));
  writeFileSync(jsonPath, json);
  writeFileSync(markdownPath, markdown);
  writeFileSync(dashboardPath, renderDashboard({ evaluation: report, title }));
  return { jsonPath, markdownPath, dashboardPath, kept };
}
