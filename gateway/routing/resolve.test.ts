import { beforeAll, describe, expect, it } from 'vitest';
import { GatewayConfig } from '../../schema/config.ts';
import { BUCKETS, bucketOf, initBucketing } from './bucket.ts';
import { indexConfig, resolve } from './resolve.ts';

const price = { inputPer1k: 0.003, outputPer1k: 0.015 };
const cfg = (over: Record<string, unknown> = {}) =>
  GatewayConfig.parse({
    pricing: { a: price, b: price, c: price },
    configs: ['a', 'b', 'c'].map((id) => ({ id, upstream: { provider: 'bedrock', modelId: id }, maxTokens: 100 })),
    routes: [{ name: 'shop', intents: ['recs', 'faq'], default: 'a', table: { faq: 'c' } }],
    ...over,
  });

beforeAll(initBucketing);

describe('bucketOf', () => {
  it('is stable and in range', () => {
    const b = bucketOf('exp', 'session-1');
    expect(bucketOf('exp', 'session-1')).toBe(b);
    expect(b).toBeGreaterThanOrEqual(0);
    expect(b).toBeLessThan(BUCKETS);
  });

  it('depends on the salt', () => {
    const differing = Array.from({ length: 100 }, (_, i) => `s${i}`).filter((s) => bucketOf('x', s) !== bucketOf('y', s));
    expect(differing.length).toBeGreaterThan(90);
  });
});

describe('resolve', () => {
  it('uses the intent table, then the default; unknown intents become other', () => {
    const index = indexConfig(cfg());
    expect(resolve(index, 'shop', 'faq', 's1')).toMatchObject({ intent: 'faq', arm: 'default', config: { id: 'c' } });
    expect(resolve(index, 'shop', 'recs', 's1')).toMatchObject({ intent: 'recs', config: { id: 'a' } });
    expect(resolve(index, 'shop', 'weather', 's1')).toMatchObject({ intent: 'other', config: { id: 'a' } });
    expect(resolve(index, 'shop', null, 's1')).toMatchObject({ intent: 'other' });
  });

  it('passes unknown model ids through and pins config:<id>', () => {
    const index = indexConfig(cfg());
    expect(resolve(index, 'anthropic.x', 'faq', 's')).toMatchObject({ route: '_passthrough', arm: 'passthrough', config: null });
    expect(resolve(index, 'config:b', 'faq', null)).toMatchObject({ arm: 'pinned', config: { id: 'b' } });
    expect(resolve(index, 'config:nope', 'faq', null)).toBeNull();
  });

  it('splits an experiment within one point of 10% over 20,000 sessions', () => {
    const index = indexConfig(
      cfg({ experiments: [{ id: 'e1', route: 'shop', intent: 'recs', control: 'a', treatment: 'b', split: 0.1 }] }),
    );
    let treated = 0;
    for (let i = 0; i < 20_000; i++) {
      const r = resolve(index, 'shop', 'recs', `session-${i}`)!;
      expect(r.experimentId).toBe('e1');
      if (r.arm === 'treatment') {
        treated++;
        expect(r.config?.id).toBe('b');
      } else {
        expect(r).toMatchObject({ arm: 'control', config: { id: 'a' } });
      }
    }
    expect(Math.abs(treated / 20_000 - 0.1)).toBeLessThan(0.01);
    expect(resolve(index, 'shop', 'faq', 'session-1')).toMatchObject({ arm: 'default', experimentId: null });
  });

  it('keeps every 5% canary session in the canary at 25%', () => {
    const at = (weight: number) => indexConfig(cfg({ canaries: [{ id: 'k1', route: 'shop', baseline: 'a', candidate: 'b', weight }] }));
    const five = at(5);
    const twentyFive = at(25);
    const sessions = Array.from({ length: 5_000 }, (_, i) => `u${i}`);
    const inFive = sessions.filter((s) => resolve(five, 'shop', 'recs', s)!.arm === 'canary');
    const inTwentyFive = sessions.filter((s) => resolve(twentyFive, 'shop', 'faq', s)!.arm === 'canary');
    expect(inFive.length).toBeGreaterThan(150);
    expect(inTwentyFive.length).toBeGreaterThan(inFive.length * 3);
    for (const s of inFive)
      expect(resolve(twentyFive, 'shop', 'recs', s)).toMatchObject({ arm: 'canary', canaryId: 'k1', config: { id: 'b' } });
  });

  it('gives arm unassigned and the table configuration without a session id', () => {
    const index = indexConfig(cfg({ experiments: [{ id: 'e1', route: 'shop', control: 'a', treatment: 'b', split: 1 }] }));
    expect(resolve(index, 'shop', 'faq', null)).toMatchObject({ arm: 'unassigned', config: { id: 'c' }, experimentId: null });
    expect(resolve(index, 'shop', 'faq', 'x')).toMatchObject({ arm: 'treatment', config: { id: 'b' } });
  });

  it('ignores paused experiments and prefers a canary over an experiment', () => {
    const index = indexConfig(
      cfg({
        experiments: [{ id: 'e1', route: 'shop', control: 'a', treatment: 'b', split: 1, status: 'paused' }],
        canaries: [{ id: 'k1', route: 'shop', intent: 'faq', baseline: 'c', candidate: 'b', weight: 100 }],
      }),
    );
    expect(resolve(index, 'shop', 'recs', 's')).toMatchObject({ arm: 'default', config: { id: 'a' } });
    expect(resolve(index, 'shop', 'faq', 's')).toMatchObject({ arm: 'canary', config: { id: 'b' } });
  });
});

describe('resolve: expected share of the arm', () => {
  it('is the split or 1 - split for an experiment, weight / 100 or its complement for a canary, null otherwise', () => {
    const index = indexConfig(
      cfg({
        experiments: [{ id: 'e1', route: 'shop', intent: 'recs', control: 'a', treatment: 'b', split: 0.2 }],
        canaries: [{ id: 'k1', route: 'shop', intent: 'faq', baseline: 'c', candidate: 'b', weight: 25 }],
      }),
    );
    const sessions = Array.from({ length: 400 }, (_, i) => `share-${i}`);
    const byArm = new Map<string, Set<number | null>>();
    for (const s of sessions) {
      for (const intent of ['recs', 'faq']) {
        const r = resolve(index, 'shop', intent, s)!;
        byArm.set(r.arm, (byArm.get(r.arm) ?? new Set()).add(r.expectedShare));
      }
    }
    expect(Object.fromEntries([...byArm].map(([arm, shares]) => [arm, [...shares]]))).toEqual({
      treatment: [0.2],
      control: [0.8],
      canary: [0.25],
      baseline: [0.75],
    });
    expect(resolve(index, 'shop', 'recs', null)!.expectedShare).toBeNull();
    expect(resolve(index, 'shop', 'other', 's')!.expectedShare).toBeNull();
    expect(resolve(index, 'config:a', 'recs', 's')!.expectedShare).toBeNull();
    expect(resolve(index, 'unknown-model', 'recs', 's')!.expectedShare).toBeNull();
  });
});

describe('GatewayConfig validation', () => {
  it('rejects a configuration without a price, naming it', () => {
    const r = GatewayConfig.safeParse({
      pricing: {},
      configs: [{ id: 'x', upstream: { provider: 'bedrock', modelId: 'm' }, maxTokens: 1 }],
    });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]).toMatchObject({ path: ['configs', 0, 'priceKey'] });
    expect(r.error?.issues[0]?.message).toContain('no price');
  });

  it('rejects dangling references and two running experiments on one intent', () => {
    const r = GatewayConfig.safeParse({
      pricing: { a: price },
      configs: [{ id: 'a', upstream: { provider: 'bedrock', modelId: 'a' }, maxTokens: 1 }],
      routes: [{ name: 'r', intents: ['i'], default: 'zzz' }],
      experiments: [
        { id: 'e1', route: 'r', intent: 'i', control: 'a', treatment: 'a', split: 0.5 },
        { id: 'e2', route: 'r', intent: 'i', control: 'a', treatment: 'a', split: 0.5 },
      ],
    });
    const messages = r.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
    expect(messages).toContain('routes.0.default: unknown configuration "zzz"');
    expect(messages.some((m) => m.startsWith('experiments.1.status') && m.includes('both run'))).toBe(true);
  });
});
