/**
 * Event-loop delay while the gateway's durable sink writes observations to SQLite, in process (before) and through
 * the worker-thread store the Node gateway now uses (after), in one run:
 *   node --import tsx bench/sqlite-write-loop.ts [--rows 100000] [--batch 500] [--every 100]
 * A producer records `batch` observations every `every` ms (as finished requests would arrive) into a `DurableSink`
 * with batches of `batch` rows, then flushes; `monitorEventLoopDelay` (1 ms resolution) runs from the first record
 * to the end of the flush. Also per store: the main thread's time inside each `write` call (the whole transaction in
 * process; copying the batch into a message with the worker), the event-loop utilisation, and the rows stored. A
 * store that keeps nothing (the producer and the sink's queue alone) is the floor. Each store gets a fresh database
 * and one warm-up batch (the worker starts there). Results go to bench/results/sqlite-write-loop-<time>.md and .json.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { Observation } from '../schema/observation.ts';
import { DurableSink } from '../stores/observations/durable.ts';
import type { RecordBatch, RecordStore } from '../stores/observations/interface.ts';
import { SpillFile } from '../stores/observations/spill.ts';
import { sqliteRecordStore } from '../stores/observations/sqlite.ts';
import { sqliteThreadRecordStore } from '../stores/observations/sqlite-thread.ts';
import { openDatabase } from '../stores/sqlite/database.ts';

const { values } = parseArgs({ options: { rows: { type: 'string' }, batch: { type: 'string' }, every: { type: 'string' } } });
const ROWS = Number(values.rows ?? 100_000);
const BATCH = Number(values.batch ?? 500);
const EVERY_MS = Number(values.every ?? 100);
const T0 = 1_700_000_000_000;

function observation(i: number, prefix: string): Observation {
  const failed = i % 50 === 0;
  return {
    requestId: `${prefix}-${i}`,
    time: T0 + i * 10,
    route: 'mangaassist',
    intent: 'faq',
    sessionId: `s${Math.floor(i / 4)}`,
    traffic: 'live',
    experimentId: null,
    canaryId: i % 2 ? 'bench' : null,
    arm: i % 4 ? 'baseline' : 'canary',
    configId: i % 4 ? 'sonnet-35-v1' : 'sonnet-35-v2',
    upstreamModel: 'anthropic.claude-3-5-sonnet-20241022-v2:0',
    operation: 'converse',
    streamed: i % 3 === 0,
    status: failed ? 500 : 200,
    errorCode: failed ? 'InternalServerException' : null,
    inputTokens: 300 + (i % 97),
    outputTokens: 200 + (i % 89),
    costUsd: 0.001 + (i % 13) / 1000,
    ttftMs: 200 + (i % 300),
    latencyMs: 400 + (i % 2_000),
    overheadMs: 0.3,
    configVersion: 3,
    expectedShare: 0.25,
    replicaId: 'bench',
    stopReason: 'end_turn',
    attempts: 1,
  };
}

interface Measured {
  store: string;
  rowsStored: number;
  spilled: number;
  seconds: number;
  writeCallP50Ms: number;
  writeCallMaxMs: number;
  writeCallP99Ms: number;
  loopMaxMs: number;
  loopP99Ms: number;
  loopMeanMs: number;
  eventLoopUtilisation: number;
  mainThreadCpuS: number | null;
}

// The main thread's CPU time (its task in /proc, ticks of 10 ms): not disturbed by other processes taking the cores,
// unlike the delays. Linux only; null elsewhere.
const MAIN_TASK = `/proc/self/task/${process.pid}/stat`;
function mainThreadCpuS(): number | null {
  if (!existsSync(MAIN_TASK)) return null;
  const fields = readFileSync(MAIN_TASK, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const round = (x: number): number => Math.round(x * 100) / 100;
const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

/** Times the synchronous part of every write: what the store costs the event loop. */
function timedStore(store: RecordStore, spans: number[]): RecordStore {
  return {
    write(batch: RecordBatch) {
      const started = performance.now();
      try {
        return store.write(batch);
      } finally {
        spans.push(performance.now() - started);
      }
    },
    probe: () => store.probe(),
  };
}

async function run(
  name: string,
  open: (path: string) => { store: RecordStore; count: () => number; close: () => Promise<void> },
): Promise<Measured> {
  const dir = mkdtempSync(join(tmpdir(), 'sqlite-write-loop-'));
  const opened = open(join(dir, 'gateway.db'));
  const spans: number[] = [];
  const sink = new DurableSink(timedStore(opened.store, spans), new SpillFile(join(dir, 'spill.jsonl')), {
    batchSize: BATCH,
    onStoreError: (err) => console.error(`${name}: ${(err as Error).message}`),
  });
  for (let i = 0; i < BATCH; i++) sink.record(observation(i, 'warm'));
  await sink.flush();
  spans.length = 0;
  const observations = Array.from({ length: ROWS }, (_, i) => observation(i, 'b'));

  const h = monitorEventLoopDelay({ resolution: 1 });
  const elu = performance.eventLoopUtilization();
  h.enable();
  const cpuBefore = mainThreadCpuS();
  const started = performance.now();
  for (let from = 0; from < ROWS; from += BATCH) {
    for (const o of observations.slice(from, from + BATCH)) sink.record(o);
    await new Promise((resolve) => setTimeout(resolve, EVERY_MS));
  }
  await sink.flush();
  const seconds = (performance.now() - started) / 1000;
  const cpuAfter = mainThreadCpuS();
  h.disable();
  const used = performance.eventLoopUtilization(elu);
  sink.close();
  // Spilled records (the queue outgrew its 50,000 because the store fell behind) are kept, not lost; counted apart.
  if (sink.stats.dropped) throw new Error(`${name}: ${sink.stats.dropped} dropped`);
  const rowsStored = opened.count() - (name.startsWith('none') ? 0 : BATCH);
  await opened.close();
  rmSync(dir, { recursive: true, force: true });
  const sorted = spans.sort((a, b) => a - b);
  const ms = (ns: number): number => round(ns / 1e6);
  return {
    store: name,
    rowsStored,
    spilled: sink.stats.spilled,
    seconds: round(seconds),
    writeCallP50Ms: round(quantile(sorted, 0.5)),
    writeCallMaxMs: round(sorted.at(-1) ?? 0),
    writeCallP99Ms: round(quantile(sorted, 0.99)),
    loopMaxMs: ms(h.max),
    loopP99Ms: ms(h.percentile(99)),
    loopMeanMs: ms(h.mean),
    eventLoopUtilisation: round(used.utilization),
    mainThreadCpuS: cpuBefore === null || cpuAfter === null ? null : round(cpuAfter - cpuBefore),
  };
}

function sqliteIn(path: string) {
  const db = openDatabase(path);
  const count = (): number => (db.prepare('SELECT count(*) AS n FROM observations').get() as { n: number }).n;
  return { store: sqliteRecordStore(db), count, close: async () => void db.close() };
}

function sqliteWorker(path: string) {
  // As the gateway does: its own connection runs the migrations (and reads), the worker writes.
  const db = openDatabase(path);
  const store = sqliteThreadRecordStore(path);
  const count = (): number => (db.prepare('SELECT count(*) AS n FROM observations').get() as { n: number }).n;
  return {
    store,
    count,
    close: async () => {
      await store.close();
      db.close();
    },
  };
}

function none() {
  let n = 0;
  const store: RecordStore = {
    write: (b) => {
      n += b.observations.length;
    },
    probe: () => {},
  };
  return { store, count: () => n - BATCH, close: async () => {} };
}

async function main(): Promise<void> {
  const load = loadavg()
    .map((x) => x.toFixed(2))
    .join(', ');
  const results = [
    await run('none (producer and queue only)', none),
    await run('SQLite, in process (before)', sqliteIn),
    await run('SQLite, worker thread (after)', sqliteWorker),
  ];
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const header =
    `# Event-loop delay while the observation sink writes to SQLite\n\n` +
    `\`node --import tsx bench/sqlite-write-loop.ts --rows ${ROWS} --batch ${BATCH} --every ${EVERY_MS}\`, ${new Date().toISOString()}, ` +
    `${cpus().length} CPUs, load average ${load} at the start (shared with other work: single runs are noisy).\n\n` +
    `${ROWS} observations recorded ${BATCH} every ${EVERY_MS} ms into a \`DurableSink\` (batches of ${BATCH} rows), then flushed; ` +
    `one warm-up batch per store first. \`write\` call: the main thread's time inside one batch's \`write\` (the ` +
    `transaction in process; the copy into a message with the worker). \`monitorEventLoopDelay\` at 1 ms resolution ` +
    `from the first record to the end of the flush; ELU: event-loop utilisation over the same span; main thread CPU: ` +
    `the CPU time of the main thread alone over the same span (from /proc, 10 ms ticks), which other processes on ` +
    `the machine do not inflate.\n\n`;
  const table = [
    '| store | rows stored | rows spilled | seconds | `write` call p50 (ms) | `write` call p99 (ms) | `write` call max (ms) | loop delay max (ms) | loop delay p99 (ms) | loop delay mean (ms) | ELU | main thread CPU (s) |',
    '| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: |',
    ...results.map(
      (r) =>
        `| ${r.store} | ${r.rowsStored} | ${r.spilled} | ${r.seconds} | ${r.writeCallP50Ms} | ${r.writeCallP99Ms} | ${r.writeCallMaxMs} | ${r.loopMaxMs} | ${r.loopP99Ms} | ${r.loopMeanMs} | ${r.eventLoopUtilisation} | ${r.mainThreadCpuS ?? 'n/a'} |`,
    ),
  ].join('\n');
  mkdirSync('bench/results', { recursive: true });
  const file = join('bench/results', `sqlite-write-loop-${stamp}`);
  writeFileSync(`${file}.md`, `${header}${table}\n`);
  writeFileSync(
    `${file}.json`,
    `${JSON.stringify({ rows: ROWS, batch: BATCH, everyMs: EVERY_MS, cpus: cpus().length, load, results }, null, 2)}\n`,
  );
  console.log(table);
  console.log(`written to ${file}.md`);
}

await main();
