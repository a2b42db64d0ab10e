import { describe, expect, it } from 'vitest';
import { runBench } from './harness.ts';
import { renderMarkdown } from './report.ts';
import { settingsFromEnv } from './settings.ts';

describe('benchmark harness, quick mode', () => {
  it('measures direct, both bare proxies and the gateway, one connection, converse, with well-formed results', async () => {
    const settings = { ...settingsFromEnv({ BENCH_QUICK: '1' }), concurrencies: [1], modes: ['converse' as const] };
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
    }
    expect(result.processWarmupErrors).toEqual({ direct: 0, 'bare-fetch': 0, bare: 0, gateway: 0 });
    expect(result.workload.modelId).toBe('anthropic.claude-3-5-sonnet-20240620-v1:0');
    expect(result.comparisons).toHaveLength(1);
    expect(result.comparisons[0]!.gatewayPercentOfBare).toBeGreaterThan(0);
    expect(renderMarkdown(result)).toContain('| gateway | converse | 1 |');
  }, 30_000);
});
