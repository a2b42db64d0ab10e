/** Settings of `npm run bench:streams` (many slow streams held open through one gateway). */
export interface StreamsSettings {
  /** Streams held open at once (`--streams`, default 10,000). */
  streams: number;
  /** How long every simulated answer streams, ms (`--duration-ms`, default 30,000). */
  durationMs: number;
  /** The streams are opened evenly over this many ms (`--ramp-ms`, default 5,000). */
  rampMs: number;
  /** TTFT probes on the idle gateway and again with every stream open (`--probes`, default 50). */
  probes: number;
  /**
   * How the load generator and the probes reach the gateway (`--client`, default `h2`): `h2` is HTTP/2 cleartext
   * with many streams per session (as the AWS SDK for JavaScript v3 connects to Bedrock), `h1` one HTTP/1.1
   * connection per stream.
   */
  client: StreamsClient;
  /** With `--client h2`, the streams are spread over this many HTTP/2 sessions (`--sessions`, default 100). */
  sessions: number;
  /**
   * The gateway process's V8 old-space limit, MB (`--gateway-heap-mb`, `node --max-old-space-size`); 0 (the default)
   * leaves Node's own, which on a machine with a lot of memory lets the heap grow to about four times what is live.
   */
  gatewayHeapMb: number;
}

/** The load generator's protocol to the gateway. */
export type StreamsClient = 'h1' | 'h2';

export const DEFAULT_STREAMS_SETTINGS: StreamsSettings = {
  streams: 10_000,
  durationMs: 30_000,
  rampMs: 5_000,
  probes: 50,
  client: 'h2',
  sessions: 100,
  gatewayHeapMb: 0,
};

/** Limits the run is judged by (from the issue). */
export const STREAMS_TARGETS = {
  /** Gateway peak RSS (VmHWM), MB. */
  peakRssMb: 500,
  /** Loaded probe TTFT p95 at most this many times the idle one... */
  ttftP95Ratio: 2,
  /** ...or at most this many ms above it, whichever allows more (an idle p95 of 3 ms doubled is still noise). */
  ttftP95SlackMs: 50,
};

const NUMBER_FLAGS = {
  '--streams': 'streams',
  '--duration-ms': 'durationMs',
  '--ramp-ms': 'rampMs',
  '--probes': 'probes',
  '--sessions': 'sessions',
  '--gateway-heap-mb': 'gatewayHeapMb',
} as const;
const KNOWN_FLAGS = [...Object.keys(NUMBER_FLAGS), '--client'];

/**
 * Reads `--streams N --duration-ms MS --ramp-ms MS --probes N --client h1|h2 --sessions N --gateway-heap-mb MB`; a bad
 * or unknown flag throws naming it.
 */
export function parseStreamsArgs(argv: readonly string[]): StreamsSettings {
  const settings: StreamsSettings = { ...DEFAULT_STREAMS_SETTINGS };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--client') {
      if (value !== 'h1' && value !== 'h2') throw new Error(`--client must be h1 or h2, got "${value}"`);
      settings.client = value;
      continue;
    }
    const key = NUMBER_FLAGS[flag as keyof typeof NUMBER_FLAGS];
    if (!key) throw new Error(`unknown flag ${flag} (known: ${KNOWN_FLAGS.join(', ')})`);
    const n = Number(value);
    const min = key === 'rampMs' || key === 'gatewayHeapMb' ? 0 : 1;
    if (!Number.isInteger(n) || n < min) throw new Error(`${flag} must be an integer >= ${min}, got "${value}"`);
    settings[key] = n;
  }
  if (settings.rampMs >= settings.durationMs) {
    throw new Error(
      `--ramp-ms (${settings.rampMs}) must be shorter than --duration-ms (${settings.durationMs}): the first streams would end before the last open`,
    );
  }
  return settings;
}

/** Percentiles of a sample, ms (nearest rank); zeros for an empty sample. */
export interface Spread {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles of `values`. */
export function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]! : 0);
  return { count: sorted.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted.at(-1) ?? 0 };
}

/** What the load process saw of its streams. */
export interface StreamTally {
  /** Streams started. */
  started: number;
  /** Read to the end: messageStart, content, contentBlockStop, messageStop and metadata with usage, no exception. */
  complete: number;
  /** Ended otherwise, by kind (`http-503`, `ECONNRESET`, `incomplete`, `exception:<type>`...). */
  errors: Record<string, number>;
  /** Request sent to first content event, ms, per stream. */
  ttftMs: number[];
  /** Request sent to last byte, ms, per stream. */
  durationMs: number[];
}

/** Raw measurements of one run. */
export interface StreamsRaw {
  settings: StreamsSettings;
  /** Gateway RSS with nothing open, after the idle probes, KiB. */
  idleRssKb: number;
  /** Highest gateway RSS sampled while the most streams were open, KiB. */
  loadedRssKb: number;
  /** Most streams open at once (first content read, not ended), from the load process's counts every 250 ms. */
  peakOpen: number;
  /** Gateway VmHWM over the whole run, KiB. */
  peakRssKb: number;
  /** Simulator and load generator VmHWM, KiB (they share the machine with the gateway). */
  simPeakRssKb: number;
  loadPeakRssKb: number;
  /** Open client connections (sockets of the gateway process) when the loaded probes started. */
  gatewaySocketsAtLoad: number;
  idleProbesMs: number[];
  loadedProbesMs: number[];
  /** Failed probes by kind. */
  probeErrors: Record<string, number>;
  /** Streams open (first event read, not ended) when the loaded probes started and when they ended. */
  openAtProbeStart: number;
  openAtProbeEnd: number;
  tally: StreamTally;
  /** Observations the gateway recorded for the streams: all of them, and those with status 200 and output tokens. */
  observations: { total: number; withUsage: number };
  /** Gateway CPU time over the run, ms. */
  gatewayCpuMs: number;
  /** `uptime` before and after. */
  uptimeBefore: string;
  uptimeAfter: string;
  startedAt: string;
}

/** The run judged against the issue's targets. */
export interface StreamsSummary {
  rssPerStreamKb: number;
  peakRssMb: number;
  idleTtft: Spread;
  loadedTtft: Spread;
  streamTtft: Spread;
  streamDuration: Spread;
  errors: number;
  checks: { name: string; ok: boolean; detail: string }[];
  ok: boolean;
}

const sum = (counts: Record<string, number>): number => Object.values(counts).reduce((a, b) => a + b, 0);

/** RSS per open stream, percentiles and the pass/fail checks of a run. */
export function summarizeStreams(raw: StreamsRaw): StreamsSummary {
  const n = raw.settings.streams;
  const idleTtft = spread(raw.idleProbesMs);
  const loadedTtft = spread(raw.loadedProbesMs);
  const errors = sum(raw.tally.errors) + sum(raw.probeErrors);
  const peakRssMb = raw.peakRssKb / 1024;
  const ttftLimit = Math.max(idleTtft.p95 * STREAMS_TARGETS.ttftP95Ratio, idleTtft.p95 + STREAMS_TARGETS.ttftP95SlackMs);
  const checks = [
    { name: 'no errors', ok: errors === 0, detail: `${errors} (streams ${sum(raw.tally.errors)}, probes ${sum(raw.probeErrors)})` },
    { name: 'every stream complete', ok: raw.tally.complete === n, detail: `${raw.tally.complete} of ${n}` },
    {
      name: 'usage recorded for every stream',
      ok: raw.observations.withUsage === n,
      detail: `${raw.observations.withUsage} of ${n} observations with status 200 and output tokens (${raw.observations.total} in all)`,
    },
    {
      name: `peak RSS under ${STREAMS_TARGETS.peakRssMb} MB`,
      ok: peakRssMb < STREAMS_TARGETS.peakRssMb,
      detail: `${peakRssMb.toFixed(1)} MB`,
    },
    {
      name: 'probes ran with every stream open',
      ok: raw.openAtProbeStart === n && raw.openAtProbeEnd === n,
      detail: `${raw.openAtProbeStart} open at the first probe, ${raw.openAtProbeEnd} at the last`,
    },
    {
      name: 'TTFT of new requests unaffected',
      ok: loadedTtft.count > 0 && loadedTtft.p95 <= ttftLimit,
      detail: `p95 ${loadedTtft.p95.toFixed(1)} ms loaded against ${idleTtft.p95.toFixed(1)} ms idle (limit ${ttftLimit.toFixed(1)} ms)`,
    },
  ];
  return {
    rssPerStreamKb: raw.peakOpen > 0 ? (raw.loadedRssKb - raw.idleRssKb) / raw.peakOpen : 0,
    peakRssMb,
    idleTtft,
    loadedTtft,
    streamTtft: spread(raw.tally.ttftMs),
    streamDuration: spread(raw.tally.durationMs),
    errors,
    checks,
    ok: checks.every((c) => c.ok),
  };
}

const ms = (s: Spread): string => `${s.p50.toFixed(1)} / ${s.p95.toFixed(1)} / ${s.p99.toFixed(1)} / ${s.max.toFixed(1)}`;
const mb = (kb: number): string => `${(kb / 1024).toFixed(1)} MB`;

/** The Markdown report of a run. */
export function streamsMarkdown(raw: StreamsRaw, summary: StreamsSummary): string {
  const s = raw.settings;
  const errorKinds = Object.entries({ ...raw.tally.errors, ...raw.probeErrors });
  return [
    `# ${s.streams} concurrent streams through one gateway (${raw.startedAt})`,
    '',
    `Command: \`npx tsx bench/streams.ts --streams ${s.streams} --duration-ms ${s.durationMs} --ramp-ms ${s.rampMs} --probes ${s.probes} --client ${s.client}${s.client === 'h2' ? ` --sessions ${s.sessions}` : ''}${s.gatewayHeapMb ? ` --gateway-heap-mb ${s.gatewayHeapMb}` : ''}\``,
    '',
    `Machine load: before \`${raw.uptimeBefore}\`; after \`${raw.uptimeAfter}\`.`,
    '',
    `Result: **${summary.ok ? 'pass' : 'FAIL'}**`,
    '',
    '| check | ok | detail |',
    '| --- | --- | --- |',
    ...summary.checks.map((c) => `| ${c.name} | ${c.ok ? 'yes' : 'NO'} | ${c.detail} |`),
    '',
    '## Memory (gateway process)',
    '',
    '| idle RSS | most streams open at once | RSS with them open | peak RSS (VmHWM) | RSS per open stream |',
    '| --- | --- | --- | --- | --- |',
    `| ${mb(raw.idleRssKb)} | ${raw.peakOpen} | ${mb(raw.loadedRssKb)} | ${mb(raw.peakRssKb)} | ${summary.rssPerStreamKb.toFixed(1)} KiB |`,
    '',
    `Simulator peak RSS ${mb(raw.simPeakRssKb)}, load generator ${mb(raw.loadPeakRssKb)}; gateway sockets when the loaded probes began: ${raw.gatewaySocketsAtLoad}; gateway CPU over the run ${(raw.gatewayCpuMs / 1000).toFixed(1)} s.`,
    '',
    '## Time to first token (ms: p50 / p95 / p99 / max)',
    '',
    '| requests | n | TTFT |',
    '| --- | --- | --- |',
    `| probes, idle gateway | ${summary.idleTtft.count} | ${ms(summary.idleTtft)} |`,
    `| probes, ${s.streams} streams open | ${summary.loadedTtft.count} | ${ms(summary.loadedTtft)} |`,
    `| the ${s.streams} streams (opened over ${s.rampMs} ms) | ${summary.streamTtft.count} | ${ms(summary.streamTtft)} |`,
    '',
    `Stream length, request to last byte (p50 / p95 / p99 / max): ${ms(summary.streamDuration)} ms, simulated ${s.durationMs} ms.`,
    '',
    errorKinds.length ? `Errors: ${errorKinds.map(([k, v]) => `${k} ${v}`).join(', ')}.` : 'Errors: none.',
    '',
  ].join('\n');
}
