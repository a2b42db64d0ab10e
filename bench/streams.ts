import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startServer, type ServerProcess } from './server-process.ts';
import { runProbe, type StreamRequest } from './streams-client.ts';
import type { LoadOrder, LoadProgress } from './streams-load.ts';
import {
  parseStreamsArgs,
  streamsMarkdown,
  summarizeStreams,
  type StreamsRaw,
  type StreamsSettings,
  type StreamTally,
} from './streams-settings.ts';
import { RESULTS_DIR } from './write-results.ts';
import { INTENT, modelPath, ROUTE } from './workload.ts';

const CREDENTIALS = { BENCH_SIM_KEY_ID: 'AKIDSTREAMSBENCH', BENCH_SIM_SECRET: 'streams-bench-secret' };
const WARMUP_PROBES = 10;
const POLL_MS = 250;
/** Extra connections over the streams: probes, warm-up and slack. */
const CONNECTION_HEADROOM = 200;

/**
 * `npm run bench:streams`: the simulator (every streamed answer lasting `--duration-ms`) and the Node gateway in
 * processes of their own, then a load process that opens `--streams` ConverseStream requests over `--ramp-ms` and
 * holds them to their end. TTFT probes run from this process on the idle gateway and again once every stream is
 * open; the gateway's RSS is sampled from /proc throughout.
 */
async function main(): Promise<void> {
  const settings = parseStreamsArgs(process.argv.slice(2));
  const startedAt = new Date().toISOString();
  const uptimeBefore = uptime();
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-streams-'));
  const maxConnections = String(settings.streams + CONNECTION_HEADROOM);
  const common = { ...CREDENTIALS, STREAMS_MAX_CONNECTIONS: maxConnections };
  const sim = await startServer('simulator', 'streams-serve.ts', {
    ...common,
    STREAMS_ROLE: 'sim',
    STREAMS_DURATION_MS: String(settings.durationMs),
  });
  let gateway: ServerProcess | undefined;
  try {
    gateway = await startServer(
      'gateway',
      'streams-serve.ts',
      { ...common, STREAMS_ROLE: 'gateway', BENCH_UPSTREAM: sim.url, STREAMS_DATA_DIR: dataDir },
      settings.gatewayHeapMb ? [`--max-old-space-size=${settings.gatewayHeapMb}`] : [],
    );
    const raw = await measure(settings, sim, gateway, dataDir);
    const result = { ...raw, startedAt, uptimeBefore, uptimeAfter: uptime() };
    const summary = summarizeStreams(result);
    const markdown = streamsMarkdown(result, summary);
    const written = writeStreamsResults(result, summary, markdown);
    console.log(markdown);
    console.log(`written: ${written.join(', ')}`);
    if (!summary.ok) process.exitCode = 1;
  } finally {
    await gateway?.stop();
    await sim.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function measure(
  settings: StreamsSettings,
  sim: ServerProcess,
  gateway: ServerProcess,
  dataDir: string,
): Promise<Omit<StreamsRaw, 'startedAt' | 'uptimeBefore' | 'uptimeAfter'>> {
  const base = streamRequest(gateway.url);
  const probeErrors: Record<string, number> = {};
  await probes(settings, base, 'warmup', WARMUP_PROBES, probeErrors);
  const idleProbesMs = await probes(settings, base, 'idle', settings.probes, probeErrors);
  await sleep(1_000);
  const idleRssKb = procKb(gateway.pid, 'VmRSS');
  console.error(
    `idle: RSS ${(idleRssKb / 1024).toFixed(1)} MB, probe TTFT p50 ${median(idleProbesMs).toFixed(1)} ms; opening ${settings.streams} streams`,
  );

  const load = fork(new URL('./streams-load.ts', import.meta.url), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const tallyPromise = new Promise<{ tally: StreamTally; peakRssKb: number }>((resolve, reject) => {
    load.on('message', (m: { type: string }) => m.type === 'tally' && resolve(m as unknown as { tally: StreamTally; peakRssKb: number }));
    load.once('exit', (code) => reject(new Error(`load process exited with ${code} before its tally`)));
  });
  const order: LoadOrder = {
    type: 'start',
    streams: settings.streams,
    rampMs: settings.rampMs,
    client: settings.client,
    sessions: settings.sessions,
    base: { ...base, body: base.body.toString() },
  };
  load.send(order);

  let loadedRssKb = 0;
  let peakOpen = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const p = await progress(load);
      const rss = procKb(gateway.pid, 'VmRSS');
      peakOpen = Math.max(peakOpen, p.open);
      if (p.open >= peakOpen) loadedRssKb = Math.max(loadedRssKb, rss);
      await sleep(POLL_MS);
    }
  })();
  const deadline = performance.now() + settings.rampMs + settings.durationMs * 0.5;
  let open = 0;
  while (performance.now() < deadline) {
    open = (await progress(load)).open;
    if (open === settings.streams) break;
    await sleep(POLL_MS);
  }
  console.error(`${open} of ${settings.streams} streams open; loaded probes`);
  const gatewaySocketsAtLoad = socketCount(gateway.pid);
  const openAtProbeStart = (await progress(load)).open;
  const loadedProbesMs = await probes(settings, base, 'loaded', settings.probes, probeErrors);
  const openAtProbeEnd = (await progress(load)).open;
  console.error(`probes done (${openAtProbeEnd} open); waiting for the streams to end`);
  const { tally, peakRssKb: loadPeakRssKb } = await tallyPromise;
  sampling = false;
  await sampler;
  load.kill();
  const peakRssKb = procKb(gateway.pid, 'VmHWM');
  const simPeakRssKb = procKb(sim.pid, 'VmHWM');
  const gatewayCpuMs = await gateway.cpuMs();
  await gateway.stop();
  return {
    settings,
    idleRssKb,
    loadedRssKb,
    peakOpen,
    peakRssKb,
    simPeakRssKb,
    loadPeakRssKb,
    gatewaySocketsAtLoad,
    idleProbesMs,
    loadedProbesMs,
    probeErrors,
    openAtProbeStart,
    openAtProbeEnd,
    tally,
    observations: streamObservations(dataDir),
    gatewayCpuMs,
  };
}

/** The ConverseStream request every stream and probe sends (route `mangaassist`, intent `faq`). */
function streamRequest(origin: string): StreamRequest {
  const body = { messages: [{ role: 'user', content: [{ text: 'How long does standard delivery take for a single volume?' }] }] };
  return {
    origin,
    path: modelPath(ROUTE, 'converse-stream'),
    headers: { 'content-type': 'application/json', 'x-intent': INTENT },
    body: Buffer.from(JSON.stringify(body)),
  };
}

/** `count` probes one after another, each on a new connection (`--client`), closed at its first content; their TTFTs. */
async function probes(
  settings: StreamsSettings,
  base: StreamRequest,
  phase: string,
  count: number,
  errors: Record<string, number>,
): Promise<number[]> {
  const ttfts: number[] = [];
  for (let i = 0; i < count; i++) {
    const outcome = await runProbe(settings.client, { ...base, headers: { ...base.headers, 'x-session-id': `probe-${phase}-${i}` } });
    if (outcome.ok && outcome.ttftMs !== null) ttfts.push(outcome.ttftMs);
    else errors[`probe:${outcome.failure}`] = (errors[`probe:${outcome.failure}`] ?? 0) + 1;
    await sleep(20);
  }
  return ttfts;
}

function progress(load: ChildProcess): Promise<LoadProgress> {
  return new Promise((resolve) => {
    const onMessage = (m: { type: string }): void => {
      if (m.type !== 'progress') return;
      load.off('message', onMessage);
      resolve(m as LoadProgress);
    };
    load.on('message', onMessage);
    load.send('progress');
  });
}

/** Observations of the streams (sessions `streams-*`) in the gateway's SQLite file, read after it stopped. */
function streamObservations(dataDir: string): { total: number; withUsage: number } {
  const db = new Database(join(dataDir, 'gateway.db'), { readonly: true });
  try {
    const row = db
      .prepare(
        `SELECT count(*) AS total, coalesce(sum(status = 200 AND error_code IS NULL AND output_tokens > 0), 0) AS withUsage
         FROM observations WHERE session_id LIKE 'streams-%'`,
      )
      .get() as { total: number; withUsage: number };
    return row;
  } finally {
    db.close();
  }
}

/** A `/proc/<pid>/status` field in KiB (0 where there is no /proc). */
function procKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** Open sockets of a process (its /proc fd links to `socket:`). */
function socketCount(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).filter((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:');
      } catch {
        return false;
      }
    }).length;
  } catch {
    return 0;
  }
}

function uptime(): string {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

function writeStreamsResults(raw: StreamsRaw, summary: ReturnType<typeof summarizeStreams>, markdown: string): string[] {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = raw.startedAt.slice(0, 19).replace('T', '-').replaceAll(':', '');
  const base = join(RESULTS_DIR, `streams-${raw.settings.streams}-${stamp}`);
  // Per-stream timings are summarized; the JSON keeps the probes and the tally's counts.
  const { ttftMs: _t, durationMs: _d, ...counts } = raw.tally;
  writeFileSync(`${base}.json`, `${JSON.stringify({ ...raw, tally: counts, summary }, null, 2)}\n`);
  writeFileSync(`${base}.md`, markdown);
  return [`${base}.json`, `${base}.md`];
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
