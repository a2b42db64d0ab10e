import { readFileSync, rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../stores/sqlite/database.ts';
import { runDemo } from '../demo/run-demo.ts';

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
    rmSync(result.dataDir, { recursive: true, force: true });
  }, 30_000);
});
