import { describe, expect, it } from 'vitest';
import { runBench } from './harness.ts';
import { renderMarkdown } from './report.ts';
import { settingsFromEnv } from './settings.ts';

describe('benchmark harness, quick mode, Chat Completions', () => {
  it('measures direct, the gateway and Portkey on chat and chat-stream, with the Portkey comparison', async () => {
    const settings = {
      ...settingsFromEnv({ BENCH_QUICK: '1', BENCH_OPEN: '0' }),
      seconds: 0.5,
      concurrencies: [1],
      chatStreamConcurrencies: [1],
      modes: ['chat' as const, 'chat-stream' as const],
      targets: ['direct' as const, 'gateway' as const, 'portkey' as const],
    };
    const result = await runBench(settings);

    expect(result.cells.map((c) => `${c.target} ${c.mode}`)).toEqual([
      'direct chat',
      'direct chat-stream',
      'gateway chat',
      'gateway chat-stream',
      'portkey chat',
      'portkey chat-stream',
    ]);
    for (const cell of result.cells) {
      expect(cell.errors, `${cell.target} ${cell.mode}: ${JSON.stringify(cell.errorKinds)}`).toBe(0);
      expect(cell.requests).toBeGreaterThan(0);
      expect(cell.ttftMs === null).toBe(cell.mode === 'chat');
      expect(cell.proxyRssMb === null).toBe(cell.target === 'direct');
      expect(cell.cpuMicrosPerRequest.proxy === null).toBe(cell.target === 'direct');
    }
    const comparison = result.comparisons.find((c) => c.mode === 'chat')!;
    expect(comparison.portkey!.throughputRatio).toBeGreaterThan(0);
    expect(renderMarkdown(result)).toContain('### Gateway against Portkey');
  }, 30_000);
});
