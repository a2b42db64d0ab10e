import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildReport } from '../../analysis/eval/report.ts';
import { offlineFigures, readOfflineReport } from './offline.ts';

function evalReport() {
  const result = (configId: string, testId: string, quality: number, costUsd: number) => ({
    runId: 'run-7',
    dataset: 'golden',
    testId,
    intent: 'faq',
    configId,
    requestId: null,
    status: 'ok' as const,
    errorCode: null,
    quality,
    passed: quality >= 0.75,
    dimensions: null,
    judge: null,
    inputTokens: 100,
    outputTokens: 50,
    costUsd,
    latencyMs: 800,
    ttftMs: 300,
    time: 0,
  });
  const results = ['a', 'b', 'c', 'd'].flatMap((t) => [result('sonnet-35-v1', t, 0.9, 0.004), result('custom-ft', t, 0.88, 0.0005)]);
  return buildReport({
    runId: 'run-7',
    datasetPath: 'golden.jsonl',
    casesPerIntent: { faq: 4 },
    configs: ['sonnet-35-v1', 'custom-ft'],
    results,
  });
}

describe('readOfflineReport', () => {
  it('reads the newest evaluation report of a run directory, and its figures per configuration', () => {
    const dir = mkdtempSync(join(tmpdir(), 'optimize-offline-'));
    expect(readOfflineReport(dir)).toBeNull();
    expect(readOfflineReport(join(dir, 'missing'))).toBeNull();
    mkdirSync(join(dir, 'run-7'));
    writeFileSync(join(dir, 'run-7', 'eval-report.json'), JSON.stringify(evalReport()));
    const report = readOfflineReport(dir)!;
    expect(report.runId).toBe('run-7');
    expect(report.choices.find((c) => c.intent === 'faq')?.chosen).toBe('custom-ft');
    const figures = offlineFigures(report, 'faq', 'sonnet-35-v1', 'custom-ft');
    expect(figures.candidate).toMatchObject({ configId: 'custom-ft', scored: 4, costPerRequest: 0.0005, p95LatencyMs: 800 });
    expect(figures.baseline).toMatchObject({ configId: 'sonnet-35-v1', costPerRequest: 0.004 });
    expect(offlineFigures(report, 'chitchat', 'haiku-35', 'custom-ft')).toEqual({ baseline: null, candidate: null });
  });

  it('names a file that is not an evaluation report', () => {
    const dir = mkdtempSync(join(tmpdir(), 'optimize-offline-'));
    writeFileSync(join(dir, 'eval-report.json'), '{"runId": 3}');
    expect(() => readOfflineReport(dir)).toThrow(/eval-report\.json is not an evaluation report/);
    writeFileSync(join(dir, 'eval-report.json'), '{not json');
    expect(() => readOfflineReport(dir)).toThrow(/eval-report\.json is not readable JSON/);
  });
});
