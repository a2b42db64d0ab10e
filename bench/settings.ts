/**
 * How requests reach the simulator. `portkey` is the Portkey AI gateway, a peer, on the chat modes only;
 * `baseline` is the gateway as of another commit (`BENCH_BASELINE_REF`), for before/after figures in one run.
 */
export type TargetName = 'direct' | 'bare-fetch' | 'bare' | 'gateway' | 'baseline' | 'portkey';

/** The operation under load: Bedrock Converse, or OpenAI Chat Completions (`chat`), plain or streamed. */
export type Mode = 'converse' | 'converse-stream' | 'chat' | 'chat-stream';

export const TARGETS: readonly TargetName[] = ['direct', 'bare-fetch', 'bare', 'gateway', 'baseline', 'portkey'];
export const MODES: readonly Mode[] = ['converse', 'converse-stream', 'chat', 'chat-stream'];

/** The modes each target serves: the fetch-based bare proxy only on Bedrock, Portkey only on Chat Completions. */
export const TARGET_MODES: Readonly<Record<TargetName, readonly Mode[]>> = {
  direct: MODES,
  'bare-fetch': ['converse', 'converse-stream'],
  bare: MODES,
  gateway: MODES,
  baseline: MODES,
  portkey: ['chat', 'chat-stream'],
};

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
  /** When set, every server process writes a V8 CPU profile under this directory on exit. */
  cpuProfileDir?: string;
  /** Git revision measured as the `baseline` target (the gateway before a change); null: no baseline. */
  baselineRef: string | null;
}

/**
 * Settings from the environment: `BENCH_SECONDS` (8), `BENCH_WARMUP_SECONDS` (2), `BENCH_QUICK=1` (1 s windows),
 * `BENCH_SEED` (42), comma lists `BENCH_TARGETS`, `BENCH_MODES`, `BENCH_CONNECTIONS` to run a subset, and
 * `BENCH_BASELINE_REF` (a git revision) to measure the gateway at that revision too, as target `baseline`.
 */
export function settingsFromEnv(env: Record<string, string | undefined> = process.env): BenchSettings {
  const quick = env.BENCH_QUICK === '1';
  const baselineRef = env.BENCH_BASELINE_REF?.trim() || null;
  const targets = env.BENCH_TARGETS ? list(env.BENCH_TARGETS, TARGETS, 'BENCH_TARGETS') : TARGETS.filter((t) => t !== 'baseline' || baselineRef !== null);
  if (targets.includes('baseline') && baselineRef === null) throw new Error('BENCH_TARGETS names baseline: set BENCH_BASELINE_REF to the git revision to measure');
  const connections = env.BENCH_CONNECTIONS ? env.BENCH_CONNECTIONS.split(',').map((c) => Math.round(positive(c.trim(), 1, 'BENCH_CONNECTIONS'))) : null;
  return {
    seconds: positive(env.BENCH_SECONDS, quick ? 1 : 8, 'BENCH_SECONDS'),
    warmupSeconds: positive(env.BENCH_WARMUP_SECONDS, quick ? 0.3 : 2, 'BENCH_WARMUP_SECONDS'),
    concurrencies: connections ?? [1, 10, 50],
    chatStreamConcurrencies: connections ?? [10],
    modes: list(env.BENCH_MODES, MODES, 'BENCH_MODES'),
    targets,
    seed: positive(env.BENCH_SEED, 42, 'BENCH_SEED'),
    quick,
    partial: Boolean(env.BENCH_TARGETS || env.BENCH_MODES || env.BENCH_CONNECTIONS),
    baselineRef,
  };
}

function positive(text: string | undefined, fallback: number, name: string): number {
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!(value > 0) || !Number.isFinite(value)) throw new Error(`${name} must be a positive number, got "${text}"`);
  return value;
}

function list<T extends string>(text: string | undefined, allowed: readonly T[], name: string): T[] {
  if (text === undefined || text === '') return [...allowed];
  const items = text.split(',').map((s) => s.trim()).filter(Boolean);
  const known = new Set<string>(allowed);
  const bad = items.filter((i) => !known.has(i));
  if (bad.length) throw new Error(`${name}: unknown ${bad.join(', ')} (use ${allowed.join(', ')})`);
  return items as T[];
}

/** The connection counts measured for a mode. */
export function concurrenciesOf(settings: BenchSettings, mode: Mode): number[] {
  return mode === 'chat-stream' ? settings.chatStreamConcurrencies : settings.concurrencies;
}
