import { z } from 'zod';
import { nameList, parseEnv, withoutEmpty } from '../schema/env.ts';

/**
 * How requests reach the simulator. `portkey` is the Portkey AI gateway, a peer, on the chat modes only;
 * `baseline` is the gateway as of another commit (`BENCH_BASELINE_REF`), for before/after figures in one run;
 * `worker` is the gateway as a Cloudflare Worker under local workerd (run only when `BENCH_TARGETS` names it).
 */
export type TargetName = 'direct' | 'bare-fetch' | 'bare' | 'gateway' | 'baseline' | 'portkey' | 'worker';

/** The operation under load: Bedrock Converse, or OpenAI Chat Completions (`chat`), plain or streamed. */
export type Mode = 'converse' | 'converse-stream' | 'chat' | 'chat-stream';

export const TARGETS = [
  'direct',
  'bare-fetch',
  'bare',
  'gateway',
  'baseline',
  'portkey',
  'worker',
] as const satisfies readonly TargetName[];
export const MODES = ['converse', 'converse-stream', 'chat', 'chat-stream'] as const satisfies readonly Mode[];

/**
 * The modes each target serves: the fetch-based bare proxy only on Bedrock, Portkey only on Chat Completions, the
 * Worker only on Bedrock (it serves the bundled configuration, which has no chat route to the simulator).
 */
export const TARGET_MODES: Readonly<Record<TargetName, readonly Mode[]>> = {
  direct: MODES,
  'bare-fetch': ['converse', 'converse-stream'],
  bare: MODES,
  gateway: MODES,
  baseline: MODES,
  portkey: ['chat', 'chat-stream'],
  worker: ['converse', 'converse-stream'],
};

/** Modes measured in open loop too: the Bedrock ones (latency for `converse`, time to first byte for the stream). */
export const OPEN_MODES: readonly Mode[] = ['converse', 'converse-stream'];
/** Targets measured in open loop, when selected: the direct path, the bare proxy and the gateways. */
export const OPEN_TARGETS: readonly TargetName[] = ['direct', 'bare', 'gateway', 'baseline', 'worker'];

/** Whether a run measures the open loop: not at all, after the closed-loop cells, or alone. */
export type OpenLoopRun = 'skip' | 'run' | 'only';

/** Streaming modes: TTFT is measured and error events inside the body count as failures. */
export function isStreaming(mode: Mode): boolean {
  return mode.endsWith('-stream');
}

/** What one benchmark run does. */
export interface BenchSettings {
  /** Measured window of each cell. */
  seconds: number;
  /** Discarded warm-up before each measured window. */
  warmupSeconds: number;
  concurrencies: number[];
  /** Connection counts of `chat-stream` ([10] unless `BENCH_CONNECTIONS` is set), to keep the default run short. */
  chatStreamConcurrencies: number[];
  modes: Mode[];
  targets: TargetName[];
  seed: number;
  quick: boolean;
  /** Only some targets, modes or connection counts (`BENCH_TARGETS`, `BENCH_MODES`, `BENCH_CONNECTIONS`). */
  partial: boolean;
  /** `BENCH_CPU_PROF=1`: every server process writes a V8 CPU profile on exit (under `cpuProfileDir`). */
  cpuProfile: boolean;
  /** When set, every server process writes a V8 CPU profile under this directory on exit. */
  cpuProfileDir?: string;
  /** Git revision measured as the `baseline` target (the gateway before a change); null: no baseline. */
  baselineRef: string | null;
  /** `BENCH_OPEN`: `0` skips the open-loop cells, `only` runs nothing else. */
  openLoop: OpenLoopRun;
  /** Arrival rates of the open-loop cells, requests per second. */
  openRates: number[];
  /** Measured window of each open-loop cell (after the same warm-up as the closed-loop cells). */
  openSeconds: number;
  /** Most connections the open-loop generator opens to a target; a request due while all are busy waits in its queue. */
  openConnections: number;
}

const positive = z.coerce.number().positive().max(1_000_000);
const OPEN_CHOICES = { '0': 'skip', '1': 'run', only: 'only' } as const satisfies Record<string, OpenLoopRun>;

/** A comma list of positive integers up to `max`. */
function countList(max: number) {
  return z
    .string()
    .transform((text) =>
      text
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.coerce.number<string>().int().positive().max(max)).min(1, 'names nothing'));
}
const BenchEnv = z
  .object({
    BENCH_SECONDS: positive.optional(),
    BENCH_WARMUP_SECONDS: positive.optional(),
    BENCH_QUICK: z.enum(['0', '1'], { error: 'must be 0 or 1' }).default('0'),
    BENCH_SEED: positive.default(42),
    BENCH_CONNECTIONS: countList(10_000).optional(),
    BENCH_MODES: nameList(MODES).optional(),
    BENCH_TARGETS: nameList(TARGETS).optional(),
    BENCH_BASELINE_REF: z.string().trim().min(1).optional(),
    BENCH_CPU_PROF: z.enum(['0', '1'], { error: 'must be 0 or 1' }).default('0'),
    BENCH_OPEN: z.enum(['0', '1', 'only'], { error: 'must be 0, 1 or only' }).default('1'),
    BENCH_OPEN_RATES: countList(100_000).optional(),
    BENCH_OPEN_SECONDS: positive.optional(),
    BENCH_OPEN_CONNECTIONS: z.coerce.number().int().positive().max(10_000).optional(),
  })
  .refine(
    (env) =>
      env.BENCH_OPEN !== 'only' ||
      ((env.BENCH_MODES ?? MODES).some((m) => OPEN_MODES.includes(m)) &&
        (env.BENCH_TARGETS ?? TARGETS).some((t) => OPEN_TARGETS.includes(t))),
    {
      path: ['BENCH_OPEN'],
      message: `only: nothing to measure in open loop (it runs modes ${OPEN_MODES.join(', ')} on targets ${OPEN_TARGETS.join(', ')})`,
    },
  )
  .refine((env) => !env.BENCH_TARGETS?.includes('baseline') || env.BENCH_BASELINE_REF !== undefined, {
    path: ['BENCH_BASELINE_REF'],
    message: 'BENCH_TARGETS names baseline: set BENCH_BASELINE_REF to the git revision to measure',
  });

/**
 * Settings from the environment, checked with zod (an EnvError names each bad variable): `BENCH_SECONDS` (8),
 * `BENCH_WARMUP_SECONDS` (2), `BENCH_QUICK=1` (1 s windows), `BENCH_SEED` (42), comma lists `BENCH_TARGETS`,
 * `BENCH_MODES`, `BENCH_CONNECTIONS` to run a subset (`worker` runs only when named), `BENCH_BASELINE_REF` (a git revision) to measure the
 * gateway at that revision too, as target `baseline`, and `BENCH_CPU_PROF=1` (CPU profiles of every server). Open loop:
 * `BENCH_OPEN` (`1`; `0` skips it, `only` runs it alone), `BENCH_OPEN_RATES` (200,500,1000 req/s), `BENCH_OPEN_SECONDS`
 * (10; quick 1) and `BENCH_OPEN_CONNECTIONS` (256).
 */
export function settingsFromEnv(source: Record<string, string | undefined> = process.env): BenchSettings {
  const env = parseEnv(BenchEnv, withoutEmpty(source));
  const quick = env.BENCH_QUICK === '1';
  const baselineRef = env.BENCH_BASELINE_REF ?? null;
  const connections = env.BENCH_CONNECTIONS ?? null;
  return {
    seconds: env.BENCH_SECONDS ?? (quick ? 1 : 8),
    warmupSeconds: env.BENCH_WARMUP_SECONDS ?? (quick ? 0.3 : 2),
    concurrencies: connections ?? [1, 10, 50],
    chatStreamConcurrencies: connections ?? [10],
    modes: env.BENCH_MODES ?? [...MODES],
    targets: env.BENCH_TARGETS ?? TARGETS.filter((t) => t !== 'worker' && (t !== 'baseline' || baselineRef !== null)),
    seed: env.BENCH_SEED,
    quick,
    partial: Boolean(env.BENCH_TARGETS || env.BENCH_MODES || env.BENCH_CONNECTIONS || env.BENCH_OPEN_RATES || env.BENCH_OPEN !== '1'),
    baselineRef,
    cpuProfile: env.BENCH_CPU_PROF === '1',
    openLoop: OPEN_CHOICES[env.BENCH_OPEN],
    openRates: env.BENCH_OPEN_RATES ?? [200, 500, 1000],
    openSeconds: env.BENCH_OPEN_SECONDS ?? (quick ? 1 : 10),
    openConnections: env.BENCH_OPEN_CONNECTIONS ?? 256,
  };
}

/** The modes a target is measured on in open loop (none when the run skips it). */
export function openModesOf(settings: BenchSettings, target: TargetName, modes: readonly Mode[]): Mode[] {
  if (settings.openLoop === 'skip' || !OPEN_TARGETS.includes(target)) return [];
  return modes.filter((m) => OPEN_MODES.includes(m));
}

/** The connection counts measured for a mode. */
export function concurrenciesOf(settings: BenchSettings, mode: Mode): number[] {
  return mode === 'chat-stream' ? settings.chatStreamConcurrencies : settings.concurrencies;
}
