/**
 * Times the analysis job on a large SQLite store.
 *   node --import tsx bench/analysis-job.ts [--rows 1000000] [--dir /tmp/analysis-bench]
 * Generates the rows once per size (reused when the database exists), then runs the job in a child process
 * and reports wall time, rows per second and the child's peak resident memory.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runJob } from '../analysis/job.ts';
import { openDatabase } from '../stores/sqlite/database.ts';

const CONFIGS = [
  { id: 'sonnet-35-v1', model: 'anthropic.claude-3-5-sonnet-20240620-v1:0', price: [0.003, 0.015], q: 0.83, ms: 1600 },
  { id: 'sonnet-35-v2', model: 'anthropic.claude-3-5-sonnet-20241022-v2:0', price: [0.003, 0.015], q: 0.85, ms: 1500 },
  { id: 'haiku-35', model: 'anthropic.claude-3-5-haiku-20241022-v1:0', price: [0.001, 0.005], q: 0.78, ms: 600 },
] as const;
const INTENTS = ['recommendation', 'product_question', 'faq', 'order_tracking', 'promotion', 'checkout_help', 'chitchat', 'return_request'];

function generate(path: string, rows: number): void {
  const db = openDatabase(path);
  const obs = db.prepare(`INSERT INTO observations (request_id, time, route, intent, session_id, traffic, experiment_id, canary_id, arm,
    config_id, upstream_model, operation, streamed, status, error_code, input_tokens, output_tokens, cost_usd, ttft_ms, latency_ms, overhead_ms)
    VALUES (?, ?, 'mangaassist', ?, ?, ?, ?, NULL, ?, ?, ?, 'converse', 0, ?, ?, ?, ?, ?, ?, ?, 0.4)`);
  const fb = db.prepare(
    `INSERT INTO feedback (event_id, received_at, scope, key, metric, value, idempotency_key, event_time) VALUES (?, 0, ?, ?, ?, ?, NULL, 0)`,
  );
  let x = 12345;
  const u = (): number => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x / 4294967296;
  };
  const batch = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const session = Math.floor(i / 3);
      const intent = INTENTS[Math.floor(u() * INTENTS.length)]!;
      const inExperiment = session % 10 === 0;
      const c = CONFIGS[inExperiment ? (session % 20 === 0 ? 0 : 1) : Math.floor(u() * 3)]!;
      const traffic = u() < 0.05 ? 'eval' : 'live';
      const failed = u() < 0.005;
      const input = failed ? 0 : 500 + Math.floor(u() * 1500);
      const output = failed ? 0 : 100 + Math.floor(u() * 400);
      const cost = (input * c.price[0] + output * c.price[1]) / 1000;
      const ttft = 200 + u() * 400;
      const id = `r${i}`;
      obs.run(
        id,
        1_700_000_000_000 + i,
        intent,
        `s${session}`,
        traffic,
        inExperiment ? 'bench-exp' : null,
        inExperiment ? (session % 20 === 0 ? 'control' : 'treatment') : 'default',
        c.id,
        c.model,
        failed ? 500 : 200,
        failed ? 'InternalServerException' : null,
        input,
        output,
        cost,
        failed ? null : ttft,
        ttft + c.ms * (0.5 + u()),
      );
      if (!failed) fb.run(`q${i}`, 'request', id, 'quality_score', Math.min(1, Math.max(0, c.q + 0.1 * (u() + u() + u() - 1.5))));
      if (i % 3 === 0) fb.run(`c${i}`, 'session', `s${session}`, 'cart_add', u() < 0.12 ? 1 : 0);
    }
  });
  for (let i = 0; i < rows; i += 100_000) batch(i, Math.min(rows, i + 100_000));
  db.close();
}

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    dir: { type: 'string', default: '/tmp/analysis-bench' },
    child: { type: 'string' },
  },
});

if (values.child) {
  const started = performance.now();
  const result = await runJob({ store: values.child, configPath: 'config/mangaassist.json', outDir: join(values.dir, 'reports') });
  const ms = performance.now() - started;
  console.log(JSON.stringify({ ms, liveRows: result.report.liveRequests, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
} else {
  const rows = Number(values.rows);
  mkdirSync(values.dir, { recursive: true });
  const path = join(values.dir, `bench-${rows}.db`);
  if (!existsSync(path)) {
    const t = performance.now();
    generate(path, rows);
    console.log(`generated ${rows} observations in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  const child = spawnSync(process.execPath, ['--import', 'tsx', 'bench/analysis-job.ts', '--child', path, '--dir', values.dir], {
    encoding: 'utf8',
  });
  if (child.status !== 0) throw new Error(child.stderr);
  const r = JSON.parse(child.stdout.trim().split('\n').pop()!) as { ms: number; liveRows: number; maxRssMb: number };
  console.log(
    `${rows} observations (${r.liveRows} live): job ${(r.ms / 1000).toFixed(1)} s, ${Math.round(rows / (r.ms / 1000))} rows/s, peak RSS ${r.maxRssMb.toFixed(0)} MB`,
  );
}
