/**
 * Times the analysis job on generated rows, on the embedded SQLite store and on the PostgreSQL warehouse.
 *   node --import tsx bench/analysis-job.ts [--rows 1000000] [--store sqlite|postgres|both] [--dir /tmp/analysis-bench]
 *     [--url postgres://postgres@127.0.0.1:5432/test] [--schema analysis_bench] [--write]
 * Generates the rows once per size into <dir>/bench-<rows>.db (reused while it exists) and, for PostgreSQL, copies them
 * once into schema <schema>_<rows> (reused while it holds the same number of observations) by COPY from a CSV file,
 * or by INSERT ... unnest when the server cannot read the file. Pending migrations and
 * the SQLite analysis indexes (what `npm run analysis -- --build-indexes` builds) are applied before the timed run and
 * timed apart. The job runs in a child
 * process; each run reports wall time, rows per second, the child's CPU time and peak resident memory. --write adds
 * the lines, the machine load and the command to bench/results/analysis-job-<time>.md.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runJob } from '../analysis/job.ts';
import { createAnalysisIndexes, openDatabase } from '../stores/sqlite/database.ts';
import { migrate } from '../stores/warehouse/migrations.ts';
import { connectPostgresWarehouse } from '../stores/warehouse/postgres.ts';
import { copyWarehouse, generateSqlite, loadWarehouse } from './analysis-data.ts';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    dir: { type: 'string', default: '/tmp/analysis-bench' },
    store: { type: 'string', default: 'both' },
    url: { type: 'string', default: process.env.WAREHOUSE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
    schema: { type: 'string', default: 'analysis_bench' },
    write: { type: 'boolean', default: false },
    child: { type: 'string' },
  },
});

interface ChildResult {
  ms: number;
  liveRows: number;
  cpuS: number;
  maxRssMb: number;
}

if (values.child) {
  const started = performance.now();
  const schema = values.child.startsWith('postgres') ? values.schema : undefined;
  const result = await runJob({
    store: values.child,
    schema,
    resultsTo: undefined,
    configPath: 'config/mangaassist.json',
    outDir: join(values.dir, 'reports'),
  });
  const ms = performance.now() - started;
  const usage = process.resourceUsage();
  const out: ChildResult = {
    ms,
    liveRows: result.report.liveRequests,
    cpuS: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
    maxRssMb: usage.maxRSS / 1024,
  };
  console.log(JSON.stringify(out));
} else {
  const rows = Number(values.rows);
  if (!Number.isInteger(rows) || rows < 1) throw new Error(`--rows must be a positive integer, got ${values.rows}`);
  if (!['sqlite', 'postgres', 'both'].includes(values.store))
    throw new Error(`--store must be sqlite, postgres or both, got ${values.store}`);
  const lines: string[] = [];
  const say = (line: string): void => {
    console.log(line);
    lines.push(line);
  };
  const seconds = (from: number): string => ((performance.now() - from) / 1000).toFixed(1);
  mkdirSync(values.dir, { recursive: true });
  const path = join(values.dir, `bench-${rows}.db`);
  if (!existsSync(path)) {
    const t = performance.now();
    generateSqlite(path, rows);
    say(`generated ${rows} observations into ${path} in ${seconds(t)} s`);
  }
  const run = (store: string, schema: string, name: string): void => {
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'bench/analysis-job.ts', '--child', store, '--schema', schema, '--dir', values.dir],
      {
        encoding: 'utf8',
      },
    );
    if (child.status !== 0) throw new Error(child.stderr);
    const r = JSON.parse(child.stdout.trim().split('\n').pop()!) as ChildResult;
    say(
      `${name}: ${rows} observations (${r.liveRows} live): job ${(r.ms / 1000).toFixed(1)} s, ${Math.round(rows / (r.ms / 1000))} rows/s, ` +
        `job process CPU ${r.cpuS.toFixed(1)} s, peak RSS ${r.maxRssMb.toFixed(0)} MB`,
    );
  };
  if (values.store !== 'postgres') {
    const t = performance.now();
    const db = openDatabase(path);
    createAnalysisIndexes(db);
    db.close();
    say(`SQLite migrations and analysis indexes (none pending, or built now): ${seconds(t)} s`);
    run(path, '', 'SQLite');
  }
  if (values.store !== 'sqlite') {
    const schema = `${values.schema}_${rows}`;
    const connected = await connectPostgresWarehouse({ url: values.url, schema });
    if (!connected.ok) throw new Error(connected.error);
    const wh = connected.warehouse;
    try {
      let t = performance.now();
      await migrate(wh);
      say(`PostgreSQL migrations (none pending, or the analysis indexes built): ${seconds(t)} s`);
      const [held] = await wh.query<{ n: number }>('SELECT COUNT(*) AS n FROM observations');
      if (Number(held?.n) !== rows) {
        t = performance.now();
        const db = openDatabase(path, { readonly: true });
        try {
          await copyWarehouse(db, wh, values.dir, (step, s) => console.log(`  ${step} in ${s.toFixed(1)} s`));
        } catch (error) {
          // COPY from a server file needs the server on this machine and the right to read its files.
          console.log(`  COPY from a file failed (${(error as Error).message}); copying by INSERT ... unnest instead`);
          await loadWarehouse(db, wh, (table, n) => console.log(`  ${table}: ${n} rows`));
        }
        db.close();
        say(`copied ${rows} observations and their feedback into schema ${schema} in ${seconds(t)} s`);
      }
    } finally {
      await wh.close();
    }
    run(values.url, schema, 'PostgreSQL');
  }
  if (values.write) {
    const stamp = new Date().toISOString().slice(0, 19).replaceAll(':', '-');
    const out = join('bench/results', `analysis-job-${stamp}.md`);
    const load = loadavg()
      .map((l) => l.toFixed(2))
      .join(', ');
    const body = [
      `# Analysis job at ${rows} observations, ${new Date().toISOString()}`,
      '',
      `Command: node --import tsx bench/analysis-job.ts ${process.argv.slice(2).join(' ')}`,
      `Machine: ${cpus().length} cores (${cpus()[0]?.model.trim()}), load average at the end ${load}, Node ${process.version}`,
      '',
      ...lines.map((l) => `- ${l}`),
      '',
    ].join('\n');
    writeFileSync(out, body);
    console.log(`written to ${out}`);
  }
}
