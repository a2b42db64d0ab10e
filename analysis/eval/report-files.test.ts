import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildReport, type EvalReport } from './report.ts';
import { whyKeep, writeReportFiles } from './report-files.ts';

/** An empty report over `cases` cases split evenly across `intents`. */
function report(cases: number, intents: string[], configs: string[], now = '2026-11-29T23:01:02.345Z'): EvalReport {
  const casesPerIntent = Object.fromEntries(intents.map((i) => [i, cases / intents.length]));
  return buildReport({ runId: 'r', datasetPath: 'd.jsonl', casesPerIntent, configs, results: [], now: new Date(now) });
}

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as EvalReport;

describe('writing the report files', () => {
  it('writes the report, its Markdown and dashboard, and replaces a report this run covers', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eval-files-'));
    const first = writeReportFiles(dir, report(8, ['faq', 'chitchat'], ['a', 'b']), '# first\n', 't');
    expect(first).toMatchObject({ jsonPath: join(dir, 'eval-report.json'), kept: null });
    expect(existsSync(first.dashboardPath)).toBe(true);
    const larger = writeReportFiles(dir, report(16, ['faq', 'chitchat', 'returns', 'x'], ['b', 'a', 'c']), '# larger\n', 't');
    expect(larger).toMatchObject({ jsonPath: join(dir, 'eval-report.json'), markdownPath: join(dir, 'eval-report.md'), kept: null });
    expect(readJson(larger.jsonPath).dataset.cases).toBe(16);
    expect(readFileSync(larger.markdownPath, 'utf8')).toBe('# larger\n');
  });

  it('never replaces a report that covers more cases, another intent or another configuration', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eval-files-'));
    writeReportFiles(dir, report(1600, ['faq', 'chitchat'], ['a', 'b']), '# full\n', 'full');
    const dashboard = readFileSync(join(dir, 'dashboard.html'), 'utf8');
    const smaller = writeReportFiles(dir, report(24, ['faq', 'chitchat'], ['a', 'b']), '# small\n', 'small');
    expect(smaller.kept).toBe(`${join(dir, 'eval-report.json')} covers more: 1600 cases, this run 24`);
    expect(smaller.jsonPath).toBe(join(dir, 'eval-report.20261129T230102Z.json'));
    expect(smaller.markdownPath).toBe(join(dir, 'eval-report.20261129T230102Z.md'));
    expect(smaller.dashboardPath).toBe(join(dir, 'dashboard.20261129T230102Z.html'));
    expect(readJson(smaller.jsonPath).dataset.cases).toBe(24);
    expect(readJson(join(dir, 'eval-report.json')).dataset.cases).toBe(1600);
    expect(readFileSync(join(dir, 'eval-report.md'), 'utf8')).toBe('# full\n');
    expect(readFileSync(join(dir, 'dashboard.html'), 'utf8')).toBe(dashboard);

    const again = writeReportFiles(dir, report(24, ['faq', 'chitchat'], ['a', 'b']), '# small\n', 'small');
    expect(again.jsonPath).toBe(join(dir, 'eval-report.20261129T230102Z-2.json'));
    const otherConfigs = writeReportFiles(dir, report(1600, ['faq', 'chitchat'], ['a', 'c']), '', 't');
    expect(otherConfigs.kept).toBe(`${join(dir, 'eval-report.json')} covers more: configurations b, not in this run`);
    const otherIntents = writeReportFiles(dir, report(1600, ['faq', 'returns'], ['a', 'b']), '', 't');
    expect(otherIntents.kept).toMatch(/covers more: intents chitchat, not in this run$/);
    expect(readdirSync(dir).filter((f) => f.endsWith('.json'))).toHaveLength(5);
    expect(readJson(join(dir, 'eval-report.json')).dataset.cases).toBe(1600);
  });

  it('keeps a file at the report name that is not a readable report', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eval-files-'));
    const path = join(dir, 'eval-report.json');
    writeFileSync(path, '{ not json');
    expect(whyKeep(path, report(8, ['faq'], ['a', 'b']))).toMatch(/is not readable JSON/);
    writeFileSync(path, '{"runId": 3}');
    const written = writeReportFiles(dir, report(8, ['faq'], ['a', 'b']), '', 't');
    expect(written.kept).toMatch(/is not an evaluation report/);
    expect(readFileSync(path, 'utf8')).toBe('{"runId": 3}');
  });
});
