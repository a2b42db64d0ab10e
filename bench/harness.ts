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
  /** Open-loop cells (fixed arrival rates), measured after all the closed-loop ones. */
  openCells: OpenCellResult[];
  openComparisons: OpenComparison[];
}

const SETTLE_MS = 250;

/**
 * Measures every target with the same seed, bodies and order, never two at once, cell by cell: each target's processes
 * are started and warmed up first, then each closed-loop cell (mode, concurrency: a discarded warm-up and a measured
 * window) is measured on every target in turn before the next (every other cell in reverse order), and so are the
 * open-loop cells (Bedrock modes, `OPEN_TARGETS`, per arrival rate). The cells compared with each other run within
 * seconds of each other, so a host whose speed drifts during a run (a shared machine's does, by half and more within
 * minutes) moves them alike, where measuring one target's cells after another's put minutes between them. Idle
 * targets' processes wait meanwhile, their event-loop sampling paused.
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
  const running: { target: RunningTarget; closedModes: readonly Mode[]; openModes: readonly Mode[] }[] = [];
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
      // Listed before it is checked, so that it is stopped whatever happens next.
      const entry: (typeof running)[number] = { target, closedModes: [], openModes: [] };
      running.push(entry);
      const served = await checkTarget(target, settings.modes, workload.config.id, log);
      entry.openModes = openModesOf(settings, name, served);
      entry.closedModes = settings.openLoop === 'only' ? [] : served;
      processWarmupErrors[name] = await warmUpProcesses(target, settings.openLoop === 'only' ? entry.openModes : served, settings);
      sampleLoopDelay(target, false);
    }
    // Every other cell takes the targets in reverse order, so that no target always comes first or last in a cell.
    let cellIndex = 0;
    const inOrder = <T>(targets: T[]): T[] => (cellIndex++ % 2 === 0 ? targets : targets.reverse());
    for (const mode of settings.modes) {
      for (const concurrency of concurrenciesOf(settings, mode)) {
        for (const { target } of inOrder(running.filter((r) => r.closedModes.includes(mode)))) {
          const cell = await inTurn(target, () => measureCell(target, mode, concurrency, settings));
          if (!cell.reset) rssPeakScope = 'process';
          cells.push(cell.result);
          log(progressLine(cell.result));
        }
      }
    }
    for (const mode of settings.modes) {
      for (const rate of settings.openRates) {
        for (const { target } of inOrder(running.filter((r) => r.openModes.includes(mode)))) {
          const cell = await inTurn(target, () => measureOpenCell(target, mode, rate, settings));
          if (!cell.reset) rssPeakScope = 'process';
          openCells.push(cell.result);
          log(openProgressLine(cell.result));
          await settle();
        }
      }
    }
  } finally {
    try {
      await Promise.allSettled(running.map((r) => r.target.stop()));
    } finally {
      baseline?.remove();
    }
  }
  // Listed target by target, as the report's tables read them.
  const byTarget = (a: { target: TargetName }, b: { target: TargetName }) =>
    settings.targets.indexOf(a.target) - settings.targets.indexOf(b.target);
  cells.sort(byTarget);
  openCells.sort(byTarget);
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

/** Runs a measurement of a target whose processes sample their event-loop delay only meanwhile. */
async function inTurn<T>(target: RunningTarget, measure: () => Promise<T>): Promise<T> {
  sampleLoopDelay(target, true);
  try {
    return await measure();
  } finally {
    sampleLoopDelay(target, false);
  }
}

function sampleLoopDelay(target: RunningTarget, on: boolean): void {
  target.sim.pauseLoopDelay(!on);
  target.proxy?.pauseLoopDelay(!on);
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
