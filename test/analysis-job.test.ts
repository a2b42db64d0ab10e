import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJob, type JobResult } from '../analysis/job.ts';
import { openDatabase } from '../stores/sqlite/database.ts';
import { readObservations } from '../stores/observations/sqlite.ts';
import { tempDir } from './support/gateway.ts';
import { MANGA_MIX, writeSimulatedRows } from './analysis-rows.ts';

const INTENTS = Object.keys(MANGA_MIX);
let dir: string;
let result: JobResult;
let live: number;

beforeAll(async () => {
  dir = tempDir('analysis-');
  const store = join(dir, 'gateway.db');
  const db = openDatabase(store);
  live = writeSimulatedRows(db, {
    sessions: 4000,
    requestsPerSession: 2,
    seed: 42,
    configs: (intent) => (intent === 'recommendation' ? ['sonnet-35-v1', 'sonnet-35-v2', 'haiku-35'] : ['sonnet-35-v2', 'haiku-35']),
    nonLiveShare: 0.1,
    errorRate: 0.01,
  });
  db.close();
  const config = JSON.parse(readFileSync('config/mangaassist.json', 'utf8')) as {
    routes: { table: Record<string, string>; default: string }[];
    experiments: unknown[];
  };
  config.routes[0]!.table = Object.fromEntries(INTENTS.map((i) => [i, 'sonnet-35-v2']));
  config.routes[0]!.default = 'sonnet-35-v2';
  config.experiments = [];
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  result = await runJob({ store, configPath: join(dir, 'config.json'), outDir: join(dir, 'reports') });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('analysis job on simulated Scenario A observations', () => {
  it('keeps Sonnet for recommendation and picks Haiku for chitchat and order_tracking', () => {
    const table = result.report.recommendation!.route.table;
    expect(table.recommendation).toMatch(/^sonnet-35/);
    expect(table.chitchat).toBe('haiku-35');
    expect(table.order_tracking).toBe('haiku-35');
    for (const intent of ['faq', 'product_question', 'promotion', 'checkout_help', 'return_request'])
      expect(table[intent]).toBe('sonnet-35-v2');
    const haikuRec = result.report.intents.find((r) => r.intent === 'recommendation' && r.configId === 'haiku-35')!;
    expect(haikuRec.passRate!).toBeLessThan(0.7);
  });

  it('reports the monthly saving the test computes by hand from the same live rows', () => {
    const db = openDatabase(join(dir, 'gateway.db'), { readonly: true });
    const rows = readObservations(db).filter((r) => r.traffic === 'live');
    db.close();
    expect(rows.length).toBe(live);
    expect(result.report.liveRequests).toBe(live);
    const count = new Map<string, number>();
    const cost = new Map<string, { n: number; sum: number }>();
    for (const r of rows) {
      count.set(r.intent, (count.get(r.intent) ?? 0) + 1);
      const key = `${r.intent}/${r.configId}`;
      const c = cost.get(key) ?? { n: 0, sum: 0 };
      c.n++;
      c.sum += r.costUsd!;
      cost.set(key, c);
    }
    const table = result.report.recommendation!.route.table;
    const cpr = (intent: string, config: string) => cost.get(`${intent}/${config}`)!.sum / cost.get(`${intent}/${config}`)!.n;
    let saving = 0;
    for (const intent of INTENTS) {
      const share = count.get(intent)! / rows.length;
      saving += share * 1_000_000 * 30 * (cpr(intent, 'sonnet-35-v2') - cpr(intent, table[intent]!));
    }
    expect(saving).toBeGreaterThan(0);
    expect(Math.abs(result.report.recommendation!.monthlySavingUsd - saving) / saving).toBeLessThan(1e-9);
  });

  it('keeps errors as a rate, out of the quality mean', () => {
    const cell = result.report.intents.find((r) => r.intent === 'chitchat' && r.configId === 'haiku-35')!;
    expect(cell.errorRate).toBeGreaterThan(0);
    expect(cell.scored).toBeLessThan(cell.requests);
    expect(cell.meanQuality!).toBeGreaterThan(0.87);
    expect(cell.latencyMs![50]).toBeLessThanOrEqual(cell.latencyMs![95]);
    expect(cell.latencyMs![95]).toBeLessThan(3000);
  });

  it('applies a per-intent quality gate and the --since filter', async () => {
    const configPath = join(dir, 'config.json');
    const store = join(dir, 'gateway.db');
    const strict = await runJob({ store, configPath, outDir: join(dir, 'strict'), settings: { intentGates: { chitchat: 0.9 } } });
    const haiku = strict.report.intents.find((r) => r.intent === 'chitchat' && r.configId === 'haiku-35')!;
    expect(haiku.passRate!).toBeLessThan(0.8);
    expect(strict.report.recommendation!.route.table.chitchat).not.toBe('haiku-35');
    const later = await runJob({ store, configPath, outDir: join(dir, 'later'), since: '2030-01-01T00:00:00Z' });
    expect(later.report.liveRequests).toBe(0);
    expect(later.report.recommendation).toBeNull();
  });

  it('writes JSON and Markdown', () => {
    expect(existsSync(result.jsonPath)).toBe(true);
    expect(readFileSync(result.markdownPath, 'utf8')).toContain('## Recommended routing');
    expect(JSON.parse(readFileSync(result.jsonPath, 'utf8')).recommendation.route.name).toBe('mangaassist');
  });
});
