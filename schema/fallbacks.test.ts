import { describe, expect, it } from 'vitest';
import { ConfigError, parseGatewayConfig } from '../stores/config/file.ts';
import { cycleFrom, fallbackChain } from './fallbacks.ts';

const bedrock = (id: string, fallbacks?: string[]) => ({
  id,
  upstream: { provider: 'bedrock', modelId: 'm' },
  maxTokens: 10,
  ...(fallbacks ? { fallbacks } : {}),
});
const config = (...configs: unknown[]) => ({ pricing: { m: { inputPer1k: 1, outputPer1k: 1 } }, configs });

function errorOf(raw: unknown): string {
  try {
    parseGatewayConfig(raw, 'configuration file f.json');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('the configuration was accepted');
}

describe('fallbacks in a configuration', () => {
  it('are accepted when every id exists and no cycle forms', () => {
    const parsed = parseGatewayConfig(config(bedrock('a', ['b', 'c']), bedrock('b', ['c']), bedrock('c')));
    expect(parsed.configs[0]!.fallbacks).toEqual(['b', 'c']);
  });

  it('refuse an unknown id, naming the field', () => {
    expect(errorOf(config(bedrock('a', ['b', 'ghost']), bedrock('b')))).toContain('configs.0.fallbacks.1: unknown configuration "ghost"');
  });

  it('refuse a configuration naming itself', () => {
    expect(errorOf(config(bedrock('a', ['a'])))).toContain('configs.0.fallbacks.0: configuration "a" names itself as a fallback');
  });

  it('refuse a fallback named twice', () => {
    expect(errorOf(config(bedrock('a', ['b', 'b']), bedrock('b')))).toContain('configs.0.fallbacks.1: fallback "b" is named twice');
  });

  it('refuse a cycle, once, with its path', () => {
    const message = errorOf(config(bedrock('a', ['b']), bedrock('b', ['c']), bedrock('c', ['a'])));
    expect(message).toContain('configs.0.fallbacks: fallbacks form a cycle: a -> b -> c -> a');
    expect(message.match(/cycle/g)).toHaveLength(1);
  });

  it('refuse a list that is not ids', () => {
    expect(errorOf(config(bedrock('a', ['Not An Id'])))).toContain('configs.0.fallbacks.0');
  });
});

describe('cycleFrom and fallbackChain', () => {
  const graph = new Map<string, string[]>([
    ['a', ['b', 'c']],
    ['b', ['d']],
    ['c', []],
    ['d', ['c']],
  ]);

  it('finds no cycle in a graph without one, and the path of one that exists', () => {
    expect(cycleFrom('a', graph)).toBeNull();
    expect(
      cycleFrom(
        'x',
        new Map([
          ['x', ['y']],
          ['y', ['x']],
        ]),
      ),
    ).toEqual(['x', 'y', 'x']);
  });

  it('orders the chain depth first, each configuration once, up to the limit', () => {
    expect(fallbackChain('a', graph, 10)).toEqual(['a', 'b', 'd', 'c']);
    expect(fallbackChain('a', graph, 2)).toEqual(['a', 'b']);
    expect(fallbackChain('c', graph, 10)).toEqual(['c']);
  });
});
