/**
 * Event-loop delay while the canary controller reads a window of 100k rows, per window source.
 *   node --import tsx bench/canary-window-loop.ts [--rows 100000] [--reads 5] [--postgres postgres://postgres@127.0.0.1:5432/test]
 * Writes a SQLite store with `rows` live requests of one canary in the window (plus quality scores and traffic the
 * window ignores), then for each source reads the window `reads` times under `monitorEventLoopDelay` (1 ms
 * resolution): in-process SQLite (what the controller did before), SQLite in a worker thread, and PostgreSQL when
 * `--postgres` is given (the store exported into a scratch schema, dropped afterwards). An idle period of the same
 * length is the floor. Results go to bench/results/canary-window-loop-<time>.md and .json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { postgresWindowSource } from '../admin/canary/window-source-postgres.ts';
import { sqliteThreadWindowSource } from '../admin/canary/window-source-sqlite-thread.ts';
import { sqliteWindowSource } from '../admin/canary/window-source-sqlite.ts';
import type { WindowQuery, WindowSource } from '../admin/canary/window-source.ts';
import type { FeedbackRecord } from '../schema/feedback.ts';
import type { Observation } from '../schema/observation.ts';
import { sqliteRecordStore } from '../stores/observations/sqlite.ts';
import { openDatabase } from '../stores/sqlite/database.ts';
import { exportToWarehouse } from '../stores/warehouse/export.ts';
import { connectPostgresWarehouse } from '../stores/warehouse/postgres.ts';

const { values } = parseArgs({ options: { rows: { type: 'string' }, reads: { type: 'string' }, postgres: { type: 'string' } } });
const ROWS = Number(values.rows ?? 100_000);
const READS = Number(values.reads ?? 5);
const T0 = 1_700_000_000_000;
const QUERY: WindowQuery = { canaryId: 'bench', from: T0, to: T0 + ROWS * 10 };

function writeStore(path: string): void {
  const db = openDatabase(path);
  const store = sqliteRecordStore(db);
  let x = 7;
  const u = (): number => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x / 4294967296;
  };
  const total = Math.round(ROWS * 1.2);
  for (let from = 0; from < total; from += 5_000) {
    const observations: Observation[] = [];
    const feedback: FeedbackRecord[] = [];
    for (let i = from; i < Math.min(total, from + 5_000); i++) {
      const inWindow = i < ROWS;
      const failed = u() < 0.02;
      const canary = u() < 0.25;
      observations.push({
        requestId: `b${i}`,
        time: inWindow ? T0 + i * 10 : T0 - 1 - i,
        route: 'mangaassist',
        intent: 'faq',
        sessionId: `s${Math.floor(i / 4)}`,
        traffic: 'live',
        experimentId: null,
        canaryId: inWindow ? 'bench' : 'earlier',
        arm: canary ? 'canary' : 'baseline',
        configId: canary ? 'sonnet-35-v2' : 'sonnet-35-v1',
        upstreamModel: 'm',
        operation: 'converse',
        streamed: false,
        status: failed ? 500 : 200,
        errorCode: failed ? 'InternalServerException' : null,
        inputTokens: 300,
        outputTokens: 200,
        costUsd: 0.001 + u() * 0.01,
        ttftMs: 200 + u() * 300,
        latencyMs: 400 + u() * 2_000,
        overheadMs: 0.3,
      });
      if (u() < 0.5)
        feedback.push({
          eventId: `f${i}`,
          receivedAt: 0,
          scope: 'request',
          key: `b${i}`,
          metric: 'quality_score',
          value: u(),
          idempotencyKey: null,
          eventTime: 0,
        });
    }
    store.write({ observations, feedback });
  }
  db.close();
}

interface Measured {
  source: string;
  reads: number;
  meanReadMs: number;
  loopMaxMs: number;
  loopP99Ms: number;
  loopMeanMs: number;
}

async function measure(source: string, read: (() => Promise<unknown>) | null, durationMs?: number): Promise<Measured> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const started = performance.now();
  // A timer between reads, as requests would be: the histogram samples only when a timer gets to run.
  if (read)
    for (let i = 0; i < READS; i++) {
      await read();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  else await new Promise((resolve) => setTimeout(resolve, durationMs));
  const elapsed = performance.now() - started;
  h.disable();
  const ms = (ns: number): number => Math.round(ns / 1e4) / 100;
  return {
    source,
    reads: read ? READS : 0,
    meanReadMs: read ? Math.round(elapsed / READS - 10) : 0,
    loopMaxMs: ms(h.max),
    loopP99Ms: ms(h.percentile(99)),
    loopMeanMs: ms(h.mean),
  };
}

async function timed(name: string, source: WindowSource): Promise<Measured> {
  const warm = await source.figures(QUERY);
  if (!warm.ok) throw new Error(`${name}: ${warm.message}`);
  if (warm.value.candidate.figures.requests + warm.value.baseline.figures.requests !== ROWS) throw new Error(`${name}: wrong window`);
  const result = await measure(name, async () => {
    const r = await source.figures(QUERY);
    if (!r.ok) throw new Error(`${name}: ${r.message}`);
  });
  await source.close();
  return result;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'canary-window-bench-'));
  const path = join(dir, 'gateway.db');
  writeStore(path);
  const results: Measured[] = [];
  results.push(await timed('SQLite, in process (before)', sqliteWindowSource(path)));
  results.push(await timed('SQLite, worker thread (after)', sqliteThreadWindowSource(path)));
  if (values.postgres) {
    const schema = `bench_canary_${process.pid}`;
    const connected = await connectPostgresWarehouse({ url: values.postgres, schema });
    if (!connected.ok) throw new Error(connected.error);
    const db = openDatabase(path, { readonly: true });
    const exported = await exportToWarehouse(db, connected.warehouse, { replica: 'bench' });
    db.close();
    if (!exported.ok) throw new Error(exported.error);
    try {
      results.push(await timed('PostgreSQL (async client)', postgresWindowSource({ url: values.postgres, schema })));
    } finally {
      await connected.warehouse.query(`DROP SCHEMA ${schema} CASCADE`);
      await connected.warehouse.close();
    }
  }
  const longest = Math.max(...results.map((r) => r.meanReadMs * r.reads));
  results.unshift(await measure('idle (no read)', null, longest));
  rmSync(dir, { recursive: true, force: true });

  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const header = `# Event-loop delay during a canary window read\n\n\`node --import tsx bench/canary-window-loop.ts --rows ${ROWS} --reads ${READS}${values.postgres ? ' --postgres <url>' : ''}\`, ${new Date().toISOString()}, ${cpus().length} CPUs (shared with other work: single runs are noisy).\n\nWindow: ${ROWS} live requests of one canary (25% canary arm, 2% errors, half scored), plus ${Math.round(ROWS * 0.2)} rows outside it; ${READS} reads per source after one warm-up read. \`monitorEventLoopDelay\` at 1 ms resolution over the reads.\n\n`;
  const table = [
    '| source | mean read (ms) | loop delay max (ms) | loop delay p99 (ms) | loop delay mean (ms) |',
    '| --- | --: | --: | --: | --: |',
    ...results.map((r) => `| ${r.source} | ${r.meanReadMs} | ${r.loopMaxMs} | ${r.loopP99Ms} | ${r.loopMeanMs} |`),
  ].join('\n');
  mkdirSync('bench/results', { recursive: true });
  const file = join('bench/results', `canary-window-loop-${stamp}`);
  writeFileSync(`${file}.md`, `${header}${table}\n`);
  writeFileSync(`${file}.json`, `${JSON.stringify({ rows: ROWS, reads: READS, cpus: cpus().length, results }, null, 2)}\n`);
  console.log(table);
  console.log(`written to ${file}.md`);
}

await main();
