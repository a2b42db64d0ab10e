import { upstreamModelOf } from '../schema/config.ts';
import { randomBytes } from 'node:crypto';
import { CHAT_CONFIG_ID, CHAT_MODEL, CHAT_ROUTE } from './chat-workload.ts';
import { compareTargets, type Comparison } from './compare.ts';
import { describeEnvironment, type Environment } from './environment.ts';
import { runClosedLoop } from './load.ts';
import { machineCpuMs } from './machine-cpu.ts';
import { PORTKEY_VERSION } from './portkey.ts';
import { concurrenciesOf, isStreaming, TARGET_MODES, type BenchSettings, type Mode, type TargetName } from './settings.ts';
import { distribution, type Distribution } from './stats.ts';
import { checkOutBaseline } from './baseline.ts';
import { REPO_ROOT } from './server-process.ts';
import { checkTarget, startTarget, type RunningTarget } from './targets.ts';
import { INTENT, loadWorkload, ROUTE } from './workload.ts';

/** One (target, mode, concurrency) measurement. */
export interface CellResult {
  target: TargetName;
  mode: Mode;
  concurrency: number;
  /** Answers completed in the measured window. */
  requests: number;
  requestsPerSecond: number;
  latencyMs: Distribution;
  /** Time to the first body byte; streaming only. */
  ttftMs: Distribution | null;
  /** Failed answers in the cell, warm-up included; zero expected. */
  errors: number;
  errorKinds: Record<string, number>;
  /** Peak RSS of the proxy process (bare proxy or gateway); null for direct. */
  proxyRssMb: number | null;
  simulatorRssMb: number;
  /** CPU time per answer over the cell (warm-up included), microseconds: proxy (null for direct), simulator, load generator. */
  cpuMicrosPerRequest: { proxy: number | null; simulator: number; loadGenerator: number };
  /**
   * Cores' worth of CPU used outside the benchmark's processes during the cell (Linux): within a few
   * hundredths of 0 on a quiet machine (tick sampling can make it slightly negative).
   */
  otherCpuCores: number | null;
}

/** Everything one run measured. */
export interface BenchResult {
  startedAt: string;
  durationSeconds: number;
  environment: Environment;
  settings: Omit<BenchSettings, 'cpuProfileDir'>;
  workload: {
    route: string;
    intent: string;
    configId: string;
    modelId: string;
    chat: { route: string; configId: string; modelId: string; portkey: string };
  };
  /** `cell` when peak RSS was reset before each cell, `process` when it covers the process's whole life. */
  rssPeakScope: 'cell' | 'process';
  /** Failed answers while warming each target's processes up before its first cell; zero expected. */
  processWarmupErrors: Partial<Record<TargetName, number>>;
  /** The revision measured as target `baseline`, when there was one. */
  baseline: { ref: string; commit: string } | null;
  cells: CellResult[];
  comparisons: Comparison[];
}

const SETTLE_MS = 250;
/** Above this much CPU used by other processes during a cell, the cell is flagged as disturbed. */
export const BUSY_MACHINE_CORES = 0.1;

/**
 * Measures each target in turn (never two at once) with the same seed, bodies and order: the target's
 * processes are warmed up, then for each mode and concurrency a discarded warm-up and a measured
 * closed-loop window.
 */
export async function runBench(settings: BenchSettings, log: (line: string) => void = () => {}): Promise<BenchResult> {
  const started = new Date();
  const workload = loadWorkload();
  const credentials = {
    accessKeyId: `BENCH${randomBytes(6).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(24).toString('base64'),
  };
  const cells: CellResult[] = [];
  const processWarmupErrors: BenchResult['processWarmupErrors'] = {};
  let rssPeakScope: BenchResult['rssPeakScope'] = 'cell';
  const baseline =
    settings.baselineRef !== null && settings.targets.includes('baseline') ? checkOutBaseline(REPO_ROOT, settings.baselineRef) : null;
  if (baseline) log(`baseline: ${baseline.ref} (${baseline.commit.slice(0, 12)}) checked out in ${baseline.dir}`);
  try {
    for (const name of settings.targets) {
      if (!settings.modes.some((m) => TARGET_MODES[name].includes(m))) continue;
      const target = await startTarget(name, {
        seed: settings.seed,
        credentials,
        workload,
        cpuProfileDir: settings.cpuProfileDir,
        baselineDir: baseline?.dir,
      });
      try {
        const modes = await checkTarget(target, settings.modes, workload.config.id, log);
        processWarmupErrors[name] = await warmUpProcesses(target, modes, settings);
        for (const mode of modes) {
          for (const concurrency of concurrenciesOf(settings, mode)) {
            const cell = await measureCell(target, mode, concurrency, settings);
            if (!cell.reset) rssPeakScope = 'process';
            cells.push(cell.result);
            log(progressLine(cell.result));
          }
        }
      } finally {
        await target.stop();
      }
    }
  } finally {
    baseline?.remove();
  }
  const { cpuProfileDir: _dir, ...shown } = settings;
  return {
    startedAt: started.toISOString(),
    durationSeconds: Math.round((Date.now() - started.getTime()) / 1000),
    environment: describeEnvironment(),
    settings: shown,
    workload: {
      route: ROUTE,
      intent: INTENT,
      configId: workload.config.id,
      modelId: upstreamModelOf(workload.config.upstream),
      chat: { route: CHAT_ROUTE, configId: CHAT_CONFIG_ID, modelId: CHAT_MODEL, portkey: PORTKEY_VERSION },
    },
    rssPeakScope,
    processWarmupErrors,
    baseline: baseline ? { ref: baseline.ref, commit: baseline.commit } : null,
    cells,
    comparisons: compareTargets(cells),
  };
}

/**
 * Fresh processes run cold code; without this the first cell would also measure JIT compilation and the
 * SQLite store's first writes. Each mode runs for one warm-up period at the highest concurrency.
 */
async function warmUpProcesses(target: RunningTarget, modes: readonly Mode[], settings: BenchSettings): Promise<number> {
  let errors = 0;
  for (const mode of modes) {
    const endpoint = target.endpoint(mode);
    const samples = await runClosedLoop({
      origin: target.origin,
      path: endpoint.path,
      concurrency: Math.max(...concurrenciesOf(settings, mode)),
      warmupMs: settings.warmupSeconds * 1000,
      measureMs: 0,
      ...streamingOf(mode),
      request: endpoint.request,
    });
    errors += Object.values(samples.errors).reduce((a, b) => a + b, 0);
  }
  return errors;
}

async function measureCell(
  target: RunningTarget,
  mode: Mode,
  concurrency: number,
  settings: BenchSettings,
): Promise<{ result: CellResult; reset: boolean }> {
  const endpoint = target.endpoint(mode);
  const reset = [target.sim, target.proxy].every((p) => p?.resetPeakRss() ?? true);
  const cpuBefore = await cpuSnapshot(target);
  const startedAt = performance.now();
  const samples = await runClosedLoop({
    origin: target.origin,
    path: endpoint.path,
    concurrency,
    warmupMs: settings.warmupSeconds * 1000,
    measureMs: settings.seconds * 1000,
    ...streamingOf(mode),
    request: endpoint.request,
  });
  const cpuAfter = await cpuSnapshot(target);
  const elapsedMs = performance.now() - startedAt;
  const perRequest = (before: number, after: number): number => (samples.completed ? ((after - before) * 1000) / samples.completed : 0);
  const errors = Object.values(samples.errors).reduce((a, b) => a + b, 0);
  const result: CellResult = {
    target: target.name,
    mode,
    concurrency,
    requests: samples.latencies.length,
    requestsPerSecond: samples.latencies.length / (samples.windowMs / 1000),
    latencyMs: distribution(samples.latencies),
    ttftMs: isStreaming(mode) ? distribution(samples.ttfts) : null,
    errors,
    errorKinds: samples.errors,
    proxyRssMb: target.proxy ? await target.proxy.peakRssMb() : null,
    simulatorRssMb: await target.sim.peakRssMb(),
    cpuMicrosPerRequest: {
      proxy: cpuBefore.proxy === null || cpuAfter.proxy === null ? null : perRequest(cpuBefore.proxy, cpuAfter.proxy),
      simulator: perRequest(cpuBefore.sim, cpuAfter.sim),
      loadGenerator: perRequest(cpuBefore.self, cpuAfter.self),
    },
    otherCpuCores: otherCores(cpuBefore, cpuAfter, elapsedMs),
  };
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  return { result, reset };
}

const SSE_ERROR = Buffer.from('data: {"error"');

/** How a mode's answers stream, and what marks an error inside one. */
function streamingOf(mode: Mode): { streaming: boolean; errorMarker?: Buffer } {
  if (!isStreaming(mode)) return { streaming: false };
  return mode === 'chat-stream' ? { streaming: true, errorMarker: SSE_ERROR } : { streaming: true };
}

interface CpuSnapshot {
  proxy: number | null;
  sim: number;
  self: number;
  machine: number | null;
}

async function cpuSnapshot(target: RunningTarget): Promise<CpuSnapshot> {
  const usage = process.cpuUsage();
  const proxy = target.proxy ? await target.proxy.cpuMs() : null;
  return { proxy, sim: await target.sim.cpuMs(), self: (usage.user + usage.system) / 1000, machine: machineCpuMs() };
}

function otherCores(before: CpuSnapshot, after: CpuSnapshot, elapsedMs: number): number | null {
  if (before.machine === null || after.machine === null) return null;
  const ours = (after.proxy ?? 0) - (before.proxy ?? 0) + after.sim - before.sim + after.self - before.self;
  return (after.machine - before.machine - ours) / elapsedMs;
}

function progressLine(cell: CellResult): string {
  const errors = cell.errors ? `, ${cell.errors} ERRORS ${JSON.stringify(cell.errorKinds)}` : '';
  const busy =
    (cell.otherCpuCores ?? 0) > BUSY_MACHINE_CORES ? `, machine busy: other processes used ${cell.otherCpuCores!.toFixed(2)} cores` : '';
  return `${cell.target.padEnd(7)} ${cell.mode.padEnd(15)} c=${String(cell.concurrency).padEnd(3)} ${cell.requestsPerSecond.toFixed(0).padStart(6)} req/s  p50 ${cell.latencyMs.p50.toFixed(2)} ms  p99 ${cell.latencyMs.p99.toFixed(2)} ms${errors}${busy}`;
}
