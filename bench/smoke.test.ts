import { describe, expect, it } from 'vitest';
import { runBench } from './harness.ts';
import { renderMarkdown } from './report.ts';
import { settingsFromEnv } from './settings.ts';

describe('benchmark harness, quick mode', () => {
  it('measures direct, both bare proxies and the gateway, one connection, converse, with well-formed results', async () => {
    const settings = { ...settingsFromEnv({ BENCH_QUICK: '1', BENCH_OPEN: '0' }), concurrencies: [1], modes: ['converse' as const] };
    const result = await runBench(settings);

    expect(result.cells.map((c) => c.target)).toEqual(['direct', 'bare-fetch', 'bare', 'gateway']);
    for (const cell of result.cells) {
      expect(cell.errors, `${cell.target}: ${JSON.stringify(cell.errorKinds)}`).toBe(0);
      expect(cell.requests).toBeGreaterThan(0);
      expect(cell.requestsPerSecond).toBeGreaterThan(0);
      expect(cell.latencyMs.p50).toBeGreaterThan(0);
      expect(cell.latencyMs.p99).toBeGreaterThanOrEqual(cell.latencyMs.p50);
      expect(cell.latencyMs.p999).toBeGreaterThanOrEqual(cell.latencyMs.p99);
      expect(cell.ttftMs).toBeNull();
      expect(cell.simulatorRssMb).toBeGreaterThan(0);
      expect(cell.proxyRssMb === null).toBe(cell.target === 'direct');
      expect(cell.eventLoopDelayMs.simulator!.samples).toBeGreaterThan(0);
      expect(cell.eventLoopDelayMs.simulator!.maxMs).toBeGreaterThanOrEqual(cell.eventLoopDelayMs.simulator!.p99Ms);
      expect(cell.eventLoopDelayMs.proxy === null).toBe(cell.target === 'direct');
    }
    expect(result.openCells).toEqual([]);
    expect(result.processWarmupErrors).toEqual({ direct: 0, 'bare-fetch': 0, bare: 0, gateway: 0 });
    expect(result.workload.modelId).toBe('anthropic.claude-3-5-sonnet-20240620-v1:0');
    expect(result.comparisons).toHaveLength(1);
    expect(result.comparisons[0]!.gatewayPercentOfBare).toBeGreaterThan(0);
    expect(renderMarkdown(result)).toContain('| gateway | converse | 1 |');
  }, 30_000);

  it('measures the open loop alone on direct and the gateway, with loop delays and the comparison', async () => {
    const settings = {
      ...settingsFromEnv({ BENCH_QUICK: '1', BENCH_OPEN: 'only', BENCH_OPEN_RATES: '40', BENCH_OPEN_SECONDS: '0.5' }),
      modes: ['converse-stream' as const],
      targets: ['direct' as const, 'gateway' as const],
    };
    const result = await runBench(settings);

    expect(result.cells).toEqual([]);
    expect(result.openCells.map((c) => `${c.target} ${c.mode} ${c.ratePerSecond}`)).toEqual([
      'direct converse-stream 40',
      'gateway converse-stream 40',
    ]);
    for (const cell of result.openCells) {
      expect(cell.errors, `${cell.target}: ${JSON.stringify(cell.errorKinds)}`).toBe(0);
      expect(cell.requests).toBe(20);
      expect(cell.unfinished).toBe(0);
      expect(cell.latencyMs.count).toBe(20);
      expect(cell.ttftMs!.p99).toBeLessThanOrEqual(cell.latencyMs.p99);
      expect(cell.ttftMs!.p50).toBeGreaterThan(0);
      expect(cell.startLagMs.count).toBe(20);
      expect(cell.eventLoopDelayMs.simulator!.samples).toBeGreaterThan(0);
      expect(cell.eventLoopDelayMs.proxy === null).toBe(cell.target === 'direct');
    }
    expect(result.openComparisons).toHaveLength(1);
    expect(result.openComparisons[0]).toMatchObject({ mode: 'converse-stream', ratePerSecond: 40, metric: 'ttft', bareAddedMs: null });
    expect(result.openComparisons[0]!.gatewayAddedMs).not.toBeNull();
    const markdown = renderMarkdown(result);
    expect(markdown).toContain('### Open loop');
    expect(markdown).toContain('| gateway | converse-stream | 40 |');
  }, 30_000);
});
