/**
 * Times the warehouse export and the analysis on both stores, on generated rows.
 *   node --import tsx bench/warehouse.ts [--sessions 50000] [--url postgres://127.0.0.1:5432/test] [--batch 5000]
 * Writes the rows to a temporary SQLite store, exports them into a fresh schema (dropped afterwards), exports
 * again (nothing new), then runs the analysis on SQLite and on the warehouse. Results go to
 * bench/results/warehouse-<time>.md.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { postgresAnalysisSource } from '../analysis/queries/postgres-source.ts';
import { sqliteAnalysisSource } from '../analysis/queries/sqlite-source.ts';
import { runAnalysis } from '../analysis/report/build.ts';
import { AnalysisSettings } from '../analysis/settings.ts';
import { GatewayConfig } from '../schema/config.ts';
import { openDatabase } from '../stores/sqlite/database.ts';
import { exportToWarehouse } from '../stores/warehouse/export.ts';
import { connectPostgresWarehouse } from '../stores/warehouse/postgres.ts';
import { writeSimulatedRows } from '../test/analysis-rows.ts';

const { values } = parseArgs({
  options: {
    sessions: { type: 'string', default: '50000' },
    url: { type: 'string', default: process.env.WAREHOUSE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
    batch: { type: 'string', default: '5000' },
  },
});

const seconds = (from: number): number => (performance.now() - from) / 1000;
const lines: string[] = [];
const say = (line: string): void => {
  console.log(line);
  lines.push(`- ${line}`);
};

const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'bench-warehouse-')), 'gateway.db'));
let t = performance.now();
writeSimulatedRows(db, {
  sessions: Number(values.sessions),
  requestsPerSession: 2,
  seed: 1,
  configs: () => ['sonnet-35-v2', 'haiku-35'],
  nonLiveShare: 0.1,
});
const rows = (db.prepare('SELECT (SELECT COUNT(*) FROM observations) + (SELECT COUNT(*) FROM feedback) AS n').get() as { n: number }).n;
say(`generated ${rows} rows (observations and feedback) in ${seconds(t).toFixed(1)} s`);

const schema = `bench_${Date.now()}`;
const connected = await connectPostgresWarehouse({ url: values.url, schema });
if (!connected.ok) throw new Error(connected.error);
const warehouse = connected.warehouse;
try {
  t = performance.now();
  const first = await exportToWarehouse(db, warehouse, { batchSize: Number(values.batch) });
  const exportS = seconds(t);
  say(`export (batch ${values.batch}): ok=${first.ok}, ${rows} rows in ${exportS.toFixed(1)} s = ${Math.round(rows / exportS)} rows/s`);
  t = performance.now();
  const second = await exportToWarehouse(db, warehouse, { batchSize: Number(values.batch) });
  say(`second export (nothing new): ok=${second.ok} in ${seconds(t).toFixed(2)} s`);
  const config = GatewayConfig.parse(JSON.parse(readFileSync('config/mangaassist.json', 'utf8')));
  const settings = AnalysisSettings.parse({});
  for (const [name, source] of [
    ['SQLite', sqliteAnalysisSource(db)],
    ['PostgreSQL', postgresAnalysisSource(warehouse)],
  ] as const) {
    t = performance.now();
    await runAnalysis({ source, config, settings });
    say(`analysis on ${name}: ${seconds(t).toFixed(2)} s (including the fixed A/A monitoring simulation)`);
  }
} finally {
  await warehouse.query(`DROP SCHEMA ${schema} CASCADE`);
  await warehouse.close();
  db.close();
}

mkdirSync('bench/results', { recursive: true });
const out = join('bench/results', `warehouse-${new Date().toISOString().replace(/[:T]/g, '-').slice(0, 19)}.md`);
writeFileSync(
  out,
  `# Warehouse export and analysis, ${new Date().toISOString()}\n\nCommand: node --import tsx bench/warehouse.ts --sessions ${values.sessions} --batch ${values.batch}\n\n${lines.join('\n')}\n`,
);
console.log(`results written to ${out}`);
