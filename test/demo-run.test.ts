import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../stores/sqlite/database.ts';
import { runDemo } from '../demo/run-demo.ts';
import { demoSummary, rerunAnalysisCommand, shellWord } from '../demo/summary.ts';

describe('npm run demo (small)', () => {
  it('drives sessions through the SDK with feedback, then writes an analysis report', async () => {
    const lines: string[] = [];
    const result = await runDemo({ sessions: 120, timeScale: 0, seed: 3, log: (l) => lines.push(l) });
    expect(result.requests).toBeGreaterThan(120);
    const db = openDatabase(`${result.dataDir}/gateway.db`, { readonly: true });
    const observations = (db.prepare("SELECT COUNT(*) AS n FROM observations WHERE traffic = 'live'").get() as { n: number }).n;
    const scores = (db.prepare("SELECT COUNT(*) AS n FROM feedback_latest WHERE metric = 'quality_score'").get() as { n: number }).n;
    const outcomes = (db.prepare("SELECT COUNT(DISTINCT metric) AS n FROM feedback WHERE scope = 'session'").get() as { n: number }).n;
    db.close();
    expect(observations).toBeGreaterThanOrEqual(result.requests);
    expect(scores).toBe(result.requests);
    expect(outcomes).toBe(3);
    expect(result.report.liveRequests).toBe(observations);
    expect(result.report.experiments.map((e) => e.id)).toContain('sonnet-v2-upgrade');
    expect(result.report.recommendation?.route.name).toBe('mangaassist');
    expect(result.report.configSource).toMatchObject({
      kind: 'store',
      store: 'sqlite',
      location: `${result.dataDir}/config.db`,
      version: 1,
    });
    expect(lines.join('\n')).toContain(`configuration: SQLite at ${result.dataDir}/config.db, version 1`);
    expect(result.markdown).toContain(`Configuration analysed: sqlite config store at ${result.dataDir}/config.db, version 1.`);
    expect(readFileSync(result.markdownPath, 'utf8')).toContain('## Experiments');
    const outputs = { ...result, configStore: `SQLite at ${result.dataDir}/config.db` };
    const summary = demoSummary(outputs).join('\n');
    for (const path of [
      result.markdownPath,
      result.jsonPath,
      result.dashboardPath,
      join(result.dataDir, 'gateway.db'),
      join(result.dataDir, 'config.db'),
    ]) {
      expect(existsSync(path), path).toBe(true);
      expect(summary).toContain(path);
    }
    expect(summary).toContain(
      `DATA_DIR=${result.dataDir} npm run analysis -- --store ${result.dataDir}/gateway.db --out ${result.dataDir}/reports`,
    );
    rmSync(result.dataDir, { recursive: true, force: true });
  }, 30_000);
});

describe('the demo summary', () => {
  it('quotes paths the shell would split or expand', () => {
    expect(shellWord('/tmp/gateway-demo-abc')).toBe('/tmp/gateway-demo-abc');
    expect(shellWord("/tmp/my demo's data")).toBe(`'/tmp/my demo'\\''s data'`);
    const outputs = {
      dataDir: '/tmp/a b',
      markdownPath: '/tmp/r/analysis.md',
      jsonPath: '/tmp/r/analysis.json',
      dashboardPath: '/tmp/r/dashboard.html',
      configStore: 'x',
    };
    expect(rerunAnalysisCommand(outputs)).toBe(`DATA_DIR='/tmp/a b' npm run analysis -- --store '/tmp/a b/gateway.db' --out /tmp/r`);
  });
});
