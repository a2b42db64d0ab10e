import { describe, expect, it } from 'vitest';
import {
  DEFAULT_STREAMS_SETTINGS,
  parseStreamsArgs,
  spread,
  streamsMarkdown,
  summarizeStreams,
  type StreamsRaw,
} from './streams-settings.ts';

describe('parseStreamsArgs', () => {
  it('defaults to 10,000 streams of 30 s with 50 probes, over HTTP/2 in 100 sessions', () => {
    expect(parseStreamsArgs([])).toEqual({
      streams: 10_000,
      durationMs: 30_000,
      rampMs: 5_000,
      probes: 50,
      client: 'h2',
      sessions: 100,
      gatewayHeapMb: 0,
    });
  });

  it('reads every flag', () => {
    expect(
      parseStreamsArgs([
        '--streams',
        '1000',
        '--duration-ms',
        '60000',
        '--ramp-ms',
        '0',
        '--probes',
        '5',
        '--client',
        'h1',
        '--sessions',
        '20',
        '--gateway-heap-mb',
        '384',
      ]),
    ).toEqual({ streams: 1_000, durationMs: 60_000, rampMs: 0, probes: 5, client: 'h1', sessions: 20, gatewayHeapMb: 384 });
    expect(parseStreamsArgs(['--client', 'h2', '--streams', '10']).client).toBe('h2');
  });

  it.each([
    [['--streams', '0'], '--streams must be an integer >= 1, got "0"'],
    [['--streams', '1e3x'], '--streams must be an integer >= 1'],
    [['--probes', '2.5'], '--probes must be an integer >= 1'],
    [['--ramp-ms', '-1'], '--ramp-ms must be an integer >= 0'],
    [['--streams'], '--streams needs a value'],
    [['--connections', '5'], 'unknown flag --connections'],
    [['--upstream', 'h2'], 'unknown flag --upstream'],
    [['--client', 'h3'], '--client must be h1 or h2, got "h3"'],
    [['--client'], '--client needs a value'],
    [['--sessions', '0'], '--sessions must be an integer >= 1, got "0"'],
    [['--gateway-heap-mb', '-5'], '--gateway-heap-mb must be an integer >= 0'],
    [['--ramp-ms', '30000'], '--ramp-ms (30000) must be shorter than --duration-ms (30000)'],
  ])('refuses %j', (argv, message) => {
    expect(() => parseStreamsArgs(argv)).toThrow(message);
  });
});

describe('spread', () => {
  it('takes nearest-rank percentiles and is all zeros for no samples', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(spread(values)).toEqual({ count: 100, p50: 50, p95: 95, p99: 99, max: 100 });
    expect(spread([])).toEqual({ count: 0, p50: 0, p95: 0, p99: 0, max: 0 });
  });
});

function raw(overrides: Partial<StreamsRaw> = {}): StreamsRaw {
  return {
    settings: { ...DEFAULT_STREAMS_SETTINGS, streams: 4 },
    idleRssKb: 100_000,
    loadedRssKb: 100_400,
    peakOpen: 4,
    peakRssKb: 110_000,
    simPeakRssKb: 90_000,
    loadPeakRssKb: 80_000,
    gatewaySocketsAtLoad: 6,
    idleProbesMs: [4, 5, 6, 10],
    loadedProbesMs: [5, 6, 7, 30],
    probeErrors: {},
    openAtProbeStart: 4,
    openAtProbeEnd: 4,
    tally: { started: 4, complete: 4, errors: {}, ttftMs: [3, 4, 5, 6], durationMs: [30_001, 30_002, 30_003, 30_004] },
    observations: { total: 4, withUsage: 4 },
    gatewayCpuMs: 1_500,
    uptimeBefore: 'load average: 1.00, 1.00, 1.00',
    uptimeAfter: 'load average: 1.50, 1.00, 1.00',
    startedAt: '2026-11-30T04:00:00.000Z',
    ...overrides,
  };
}

describe('summarizeStreams', () => {
  it('divides the RSS growth by the most streams open at once', () => {
    expect(summarizeStreams(raw({ peakOpen: 2 })).rssPerStreamKb).toBe(200);
    expect(summarizeStreams(raw({ peakOpen: 0 })).rssPerStreamKb).toBe(0);
  });

  it('passes a clean run and divides the loaded RSS growth by the streams', () => {
    const summary = summarizeStreams(raw());
    expect(summary.ok).toBe(true);
    expect(summary.rssPerStreamKb).toBe(100);
    expect(summary.peakRssMb).toBeCloseTo(107.42, 2);
    expect(summary.loadedTtft.p95).toBe(30);
    expect(summary.checks.every((c) => c.ok)).toBe(true);
  });

  it('fails on errors, incomplete streams, missing usage, memory, streams not all open and slower probes', () => {
    const summary = summarizeStreams(
      raw({
        peakRssKb: 600 * 1024,
        loadedProbesMs: [5, 6, 7, 61],
        probeErrors: { 'probe:http-503': 1 },
        openAtProbeEnd: 3,
        tally: { started: 4, complete: 3, errors: { incomplete: 1 }, ttftMs: [], durationMs: [] },
        observations: { total: 4, withUsage: 3 },
      }),
    );
    expect(summary.ok).toBe(false);
    expect(summary.errors).toBe(2);
    expect(Object.fromEntries(summary.checks.map((c) => [c.name, c.ok]))).toEqual({
      'no errors': false,
      'every stream complete': false,
      'usage recorded for every stream': false,
      'peak RSS under 500 MB': false,
      'probes ran with every stream open': false,
      'TTFT of new requests unaffected': false,
    });
  });

  it('allows a slower loaded TTFT up to twice the idle p95 or 50 ms above it, whichever is more', () => {
    expect(summarizeStreams(raw({ idleProbesMs: [100], loadedProbesMs: [200] })).ok).toBe(true);
    expect(summarizeStreams(raw({ idleProbesMs: [100], loadedProbesMs: [201] })).ok).toBe(false);
    expect(summarizeStreams(raw({ idleProbesMs: [10], loadedProbesMs: [60] })).ok).toBe(true);
    expect(summarizeStreams(raw({ loadedProbesMs: [] })).ok).toBe(false);
  });
});

describe('streamsMarkdown', () => {
  it('states the command, the machine load, the verdict, RSS per stream and the errors', () => {
    const r = raw({ tally: { started: 4, complete: 3, errors: { ECONNRESET: 1 }, ttftMs: [3], durationMs: [1] } });
    const text = streamsMarkdown(r, summarizeStreams(r));
    expect(text).toContain(
      'npx tsx bench/streams.ts --streams 4 --duration-ms 30000 --ramp-ms 5000 --probes 50 --client h2 --sessions 100',
    );
    const h1 = raw({ settings: { ...r.settings, client: 'h1' } });
    expect(streamsMarkdown(h1, summarizeStreams(h1))).toContain('--probes 50 --client h1`');
    const capped = raw({ settings: { ...r.settings, gatewayHeapMb: 384 } });
    expect(streamsMarkdown(capped, summarizeStreams(capped))).toContain('--sessions 100 --gateway-heap-mb 384`');
    expect(text).toContain('before `load average: 1.00, 1.00, 1.00`');
    expect(text).toContain('Result: **FAIL**');
    expect(text).toContain('| 97.7 MB | 4 | 98.0 MB | 107.4 MB | 100.0 KiB |');
    expect(text).toContain('Errors: ECONNRESET 1.');
  });
});
