import { CHAT_CONFIG_ID, CHAT_KEY_ENV, CHAT_MODEL, CHAT_ROUTE } from './chat-workload.ts';
import type { Comparison } from './compare.ts';
import { PORTKEY_VERSION } from './portkey.ts';
import type { BenchResult, CellResult } from './harness.ts';
import type { OpenCellResult } from './open-cell.ts';
import { BUSY_MACHINE_CORES } from './process-figures.ts';
import { loopColumns, openLoopSection } from './report-open.ts';

/** The run as Markdown: environment, one row per cell, the gateway's comparisons, then the open loop. */
export function renderMarkdown(result: BenchResult): string {
  const { environment: env, settings: s, workload: w } = result;
  const lines = [
    `## Benchmark ${result.startedAt.slice(0, 16).replace('T', ' ')} UTC${s.quick ? ' (quick smoke run, not representative)' : s.partial ? ' (partial run)' : ''}`,
    '',
    `- Node ${env.node} on ${env.cpuModel}, ${env.cores} cores, ${env.platform}, ${env.totalMemoryGb} GB RAM`,
    `- Simulator: time scale 0, profile faults off, seed ${s.seed}, SigV4 checked; route \`${w.route}\`, intent \`${w.intent}\` -> \`${w.configId}\` (\`${w.modelId}\`)`,
    ...(s.modes.some((m) => m.startsWith('chat')) ? [CHAT_LINE] : []),
    ...(result.cells.length > 0 ? closedLoopSection(result) : []),
    ...portkeySection(result),
    ...baselineSection(result),
    ...openLoopSection(result.openCells, result.openComparisons, s),
    `Peak RSS (VmHWM) is per process, ${result.rssPeakScope === 'cell' ? 'reset before each cell' : 'over the whole life of the process'}; "proxy" is the bare proxy or the gateway, the simulator is listed apart. CPU µs/req: the process's user + system CPU time over the cell (warm-up included) per answer; the load generator used at most ${maxLoadCpu([...result.cells, ...result.openCells])} µs/req. Loop p99 / max: each server process's event-loop delay over the measured window (\`monitorEventLoopDelay\`, 1 ms resolution, so an idle loop reads about 1 ms), in ms.`,
    errorSummary(result),
    quietSummary([...result.cells, ...result.openCells]),
    '',
  ];
  return lines.join('\n');
}

/** The closed-loop cells, one row each, and the gateway against the bare proxy and direct. */
function closedLoopSection(result: BenchResult): string[] {
  const { environment: env, settings: s } = result;
  return [
    `- Closed loop, one HTTP/1.1 connection per virtual user (undici ${env.loadGeneratorUndici}); ${s.warmupSeconds} s warm-up discarded, ${s.seconds} s measured per cell, after warming each target's fresh processes up; each cell measured on every target in turn (every other cell in reverse order) before the next; simulator, proxy and load generator each in their own process`,
    '- Latency: request sent to last body byte; TTFT: to first body byte. Exact percentiles over all samples, in ms',
    '',
    '| target | mode | conns | req/s | p50 | p99 | p99.9 | TTFT p50 | TTFT p99 | errors | proxy RSS MB | sim RSS MB | proxy CPU µs/req | sim CPU µs/req | proxy loop p99 | proxy loop max | sim loop p99 | sim loop max |',
    '| --- | --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: |',
    ...result.cells.map(cellRow),
    '',
    '### Gateway against bare proxy and direct',
    '',
    '| mode | conns | gateway req/s % of bare | % of bare-fetch | gateway p99 - direct p99 | bare p99 - direct p99 | gateway p50 - direct p50 |',
    '| --- | --: | --: | --: | --: | --: | --: |',
    ...result.comparisons.map(
      (c) =>
        `| ${c.mode} | ${c.concurrency} | ${percent(c.gatewayPercentOfBare)} | ${percent(c.gatewayPercentOfBareFetch)} | ${signedMs(c.gatewayAddedP99Ms)} | ${signedMs(c.bareAddedP99Ms)} | ${signedMs(c.gatewayAddedP50Ms)} |`,
    ),
    '',
  ];
}

/** Our gateway against Portkey on the chat modes: throughput, latency added over direct, and the ratios. */
function portkeySection(result: BenchResult): string[] {
  const rows = result.comparisons.filter((c) => c.portkey !== null);
  if (rows.length === 0) return [];
  const cell = (c: Comparison, target: CellResult['target']): CellResult | undefined =>
    result.cells.find((x) => x.target === target && x.mode === c.mode && x.concurrency === c.concurrency);
  return [
    '### Gateway against Portkey (same simulator, same load, same run)',
    '',
    '| mode | conns | gateway req/s | Portkey req/s | throughput gateway / Portkey | gateway added p50 | Portkey added p50 | gateway added p99 | Portkey added p99 | added p50 gateway / Portkey | added p99 gateway / Portkey |',
    '| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: |',
    ...rows.map((c) => {
      const p = c.portkey!;
      const gateway = cell(c, 'gateway');
      return `| ${c.mode} | ${c.concurrency} | ${gateway ? gateway.requestsPerSecond.toFixed(0) : '-'} | ${p.requestsPerSecond.toFixed(0)} | ${times(p.throughputRatio)} | ${signedMs(c.gatewayAddedP50Ms)} | ${signedMs(p.addedP50Ms)} | ${signedMs(c.gatewayAddedP99Ms)} | ${signedMs(p.addedP99Ms)} | ${times(p.addedP50Ratio)} | ${times(p.addedP99Ratio)} |`;
    }),
    '',
    "Added latency: the target's percentile minus the direct path's at the same mode and connections. Aims: throughput ratio >= 3x in every chat cell (issue 18; issue 4 asked 2.5x), added-latency ratio < 0.5x (issue 4). A negative added latency is within noise of zero; ratios over such values are not meaningful.",
    '',
  ];
}

/** The gateway against itself at the baseline revision: the before/after of a change, measured in one run. */
function baselineSection(result: BenchResult): string[] {
  const rows = result.comparisons.filter((c) => c.baseline !== null);
  if (rows.length === 0 || !result.baseline) return [];
  const gatewayRps = (c: Comparison): string =>
    result.cells
      .find((x) => x.target === 'gateway' && x.mode === c.mode && x.concurrency === c.concurrency)
      ?.requestsPerSecond.toFixed(0) ?? '-';
  return [
    `### Gateway against its baseline \`${result.baseline.ref}\` (${result.baseline.commit.slice(0, 12)}), same run`,
    '',
    '| mode | conns | gateway req/s | baseline req/s | gateway % of baseline | p50 gateway - baseline | p99 gateway - baseline |',
    '| --- | --: | --: | --: | --: | --: | --: |',
    ...rows.map((c) => {
      const b = c.baseline!;
      return `| ${c.mode} | ${c.concurrency} | ${gatewayRps(c)} | ${b.requestsPerSecond.toFixed(0)} | ${percent(b.gatewayPercentOfBaseline)} | ${signedMs(b.p50DeltaMs)} | ${signedMs(b.p99DeltaMs)} |`;
    }),
    '',
  ];
}

const CHAT_LINE = `- Chat modes (\`POST /v1/chat/completions\`): the gateway gets route \`${CHAT_ROUTE}\` (every intent on \`${CHAT_CONFIG_ID}\`, OpenAI-compatible upstream, model \`${CHAT_MODEL}\`, its bearer key read from \`${CHAT_KEY_ENV}\` and checked by the simulator); direct, bare and Portkey get the body the gateway sends upstream. Portkey ${PORTKEY_VERSION} runs \`start-server.js --headless\` with \`x-portkey-provider: openai\` and \`x-portkey-custom-host\`, and a preload that works around its streaming bug on Node (bench/portkey-response-fix.mjs)`;

function times(value: number | null): string {
  return value === null ? '-' : `${value.toFixed(2)}x`;
}

function cellRow(c: CellResult): string {
  const ttft = c.ttftMs ? [ms(c.ttftMs.p50), ms(c.ttftMs.p99)] : ['-', '-'];
  const cells = [
    c.target,
    c.mode,
    String(c.concurrency),
    c.requestsPerSecond.toFixed(0),
    ms(c.latencyMs.p50),
    ms(c.latencyMs.p99),
    ms(c.latencyMs.p999),
    ...ttft,
    String(c.errors),
    c.proxyRssMb === null ? '-' : c.proxyRssMb.toFixed(0),
    c.simulatorRssMb.toFixed(0),
    c.cpuMicrosPerRequest.proxy === null ? '-' : c.cpuMicrosPerRequest.proxy.toFixed(0),
    c.cpuMicrosPerRequest.simulator.toFixed(0),
    ...loopColumns(c.eventLoopDelayMs),
  ];
  return `| ${cells.join(' | ')} |`;
}

function quietSummary(cells: readonly (CellResult | OpenCellResult)[]): string {
  const measured = cells.filter((c) => c.otherCpuCores !== null);
  if (measured.length === 0) return 'Other processes: not measured on this platform.';
  const worst = Math.max(0, ...measured.map((c) => c.otherCpuCores!));
  const disturbed = measured.filter((c) => c.otherCpuCores! > BUSY_MACHINE_CORES);
  if (disturbed.length === 0) return `Other processes: at most ${worst.toFixed(2)} cores during any cell (quiet machine).`;
  return `WARNING: other processes used CPU during ${disturbed.length} cell(s), up to ${worst.toFixed(2)} cores (${disturbed.map(cellName).join(', ')}); those numbers are disturbed.`;
}

function cellName(c: CellResult | OpenCellResult): string {
  return `${c.target} ${c.mode} ${'concurrency' in c ? `c=${c.concurrency}` : `rate=${c.ratePerSecond}`}`;
}

function maxLoadCpu(cells: readonly (CellResult | OpenCellResult)[]): string {
  return Math.max(0, ...cells.map((c) => c.cpuMicrosPerRequest.loadGenerator)).toFixed(0);
}

function errorSummary(result: BenchResult): string {
  const failed = [...result.cells, ...result.openCells]
    .filter((c) => c.errors > 0)
    .map((c) => `${cellName(c)}: ${JSON.stringify(c.errorKinds)}`);
  for (const [target, errors] of Object.entries(result.processWarmupErrors))
    if (errors) failed.push(`${target} process warm-up: ${errors}`);
  if (failed.length === 0) return 'Errors: none (every answer 2xx, no exception frames), warm-ups included.';
  return `Errors: ${failed.join('; ')}.`;
}

function ms(value: number): string {
  return value.toFixed(2);
}

function signedMs(value: number | null): string {
  return value === null ? '-' : `${value >= 0 ? '+' : ''}${value.toFixed(2)} ms`;
}

function percent(value: number | null): string {
  return value === null ? '-' : `${value.toFixed(1)}%`;
}
