import { upstreamModelOf } from '../schema/config.ts';
import { randomBytes } from 'node:crypto';
import { CHAT_CONFIG_ID, CHAT_MODEL, CHAT_ROUTE } from './chat-workload.ts';
import { compareTargets, type Comparison } from './compare.ts';
import { describeEnvironment, type Environment } from './environment.ts';
import { runClosedLoop, streamingOf } from './load.ts';
import { compareOpenLoop, type OpenComparison } from './open-compare.ts';
import { measureOpenCell, openProgressLine, type OpenCellResult } from './open-cell.ts';
import { PORTKEY_VERSION } from './portkey.ts';
import { BUSY_MACHINE_CORES, loopDelayText, type ProcessFigures, watchProcesses } from './process-figures.ts';
import { concurrenciesOf, isStreaming, openModesOf, TARGET_MODES, type BenchSettings, type Mode, type TargetName } from './settings.ts';
import { distribution, type Distribution } from './stats.ts';
import { checkOutBaseline } from './baseline.ts';
import { REPO_ROOT } from './server-process.ts';
import { checkTarget, startTarget, type RunningTarget } from './targets.ts';
import { INTENT, loadWorkload, ROUTE } from './workload.ts';

/** One (target, mode, concurrency) measurement, closed loop. */
export interface CellResult extends ProcessFigures {
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
  /** Open-loop cells (fixed arrival rates), after the closed-loop ones of each target. */
  openCells: OpenCellResult[];
  openComparisons: OpenComparison[];
}

const SETTLE_MS = 250;

/**
 * Measures each target in turn (never two at once) with the same seed, bodies and order: the target's
 * processes are warmed up, then for each mode and concurrency a discarded warm-up and a measured
 * closed-loop window, then (Bedrock modes, `OPEN_TARGETS`) for each arrival rate a warm-up and a measured
 * open-loop window.
 */
export async function runBench(settings: BenchSettings, log: (line: string) => void = () => {}): Promise<BenchResult> {
  const started = new Date();
  const workload = loadWorkload();
  const credentials = {
    accessKeyId: `BENCH${randomBytes(6).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(24).toString('base64'),
  };
  const cells: CellResult[] = [];
  const openCells: OpenCellResult[] = [];
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
        const served = await checkTarget(target, settings.modes, workload.config.id, log);
        const openModes = openModesOf(settings, name, served);
        const closedModes = settings.openLoop === 'only' ? [] : served;
        processWarmupErrors[name] = await warmUpProcesses(target, settings.openLoop === 'only' ? openModes : served, settings);
        for (const mode of closedModes) {
          for (const concurrency of concurrenciesOf(settings, mode)) {
            const cell = await measureCell(target, mode, concurrency, settings);
            if (!cell.reset) rssPeakScope = 'process';
            cells.push(cell.result);
            log(progressLine(cell.result));
          }
        }
        for (const mode of openModes) {
          for (const rate of settings.openRates) {
            const cell = await measureOpenCell(target, mode, rate, settings);
            if (!cell.reset) rssPeakScope = 'process';
            openCells.push(cell.result);
            log(openProgressLine(cell.result));
            await settle();
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
    openCells,
    openComparisons: compareOpenLoop(openCells),
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
  const watch = await watchProcesses(target);
  const samples = await runClosedLoop({
    origin: target.origin,
    path: endpoint.path,
    concurrency,
    warmupMs: settings.warmupSeconds * 1000,
    measureMs: settings.seconds * 1000,
    ...streamingOf(mode),
    request: endpoint.request,
    onMeasureStart: watch.measureStart,
  });
  const figures = await watch.finish(samples.completed);
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
    ...figures,
  };
  await settle();
  return { result, reset: watch.rssReset };
}

/** A pause between cells, so that one cell's last answers and timers do not spill into the next. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
}

function progressLine(cell: CellResult): string {
  const errors = cell.errors ? `, ${cell.errors} ERRORS ${JSON.stringify(cell.errorKinds)}` : '';
  const busy =
    (cell.otherCpuCores ?? 0) > BUSY_MACHINE_CORES ? `, machine busy: other processes used ${cell.otherCpuCores!.toFixed(2)} cores` : '';
  return `${cell.target.padEnd(7)} ${cell.mode.padEnd(15)} c=${String(cell.concurrency).padEnd(3)} ${cell.requestsPerSecond.toFixed(0).padStart(6)} req/s  p50 ${cell.latencyMs.p50.toFixed(2)} ms  p99 ${cell.latencyMs.p99.toFixed(2)} ms${loopDelayText(cell, cell.target !== 'direct')}${errors}${busy}`;
}
