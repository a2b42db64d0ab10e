import { beforeAll, describe, expect, it } from 'vitest';
import { GatewayConfig } from '../../schema/config.ts';
import { initBucketing } from './bucket.ts';
import { indexConfig, resolve } from './resolve.ts';
import { selectShadow } from './shadow.ts';

const price = { inputPer1k: 0.003, outputPer1k: 0.015 };
const cfg = (shadow: Record<string, unknown>, over: Record<string, unknown> = {}) =>
  GatewayConfig.parse({
    pricing: { a: price, b: price, c: price },
    configs: ['a', 'b', 'c'].map((id) => ({ id, upstream: { provider: 'bedrock', modelId: id }, maxTokens: 100 })),
    routes: [{ name: 'shop', intents: ['recs', 'faq'], default: 'a', table: { faq: 'c' }, shadow }],
    ...over,
  });
const sessions = Array.from({ length: 4000 }, (_, i) => `session-${i}`);

beforeAll(initBucketing);

function shadowed(config: GatewayConfig, intent: string, session: string | null): string | null {
  const index = indexConfig(config);
  return selectShadow(index, resolve(index, 'shop', intent, session)!, session)?.id ?? null;
}

describe('selectShadow', () => {
  it('picks the intent entry, else "*", never the configuration that answers, never without a session', () => {
    const config = cfg({ faq: { config: 'b', share: 100 }, '*': { config: 'c', share: 100 } });
    expect(shadowed(config, 'faq', 's1')).toBe('b');
    expect(shadowed(config, 'recs', 's1')).toBe('c');
    expect(shadowed(config, 'faq', null)).toBeNull();
    expect(shadowed(cfg({ faq: { config: 'c', share: 100 } }), 'faq', 's1')).toBeNull();
    expect(shadowed(cfg({ recs: { config: 'b', share: 0 } }), 'recs', 's1')).toBeNull();
  });

  it('is sticky by session and monotone in the share', () => {
    const at = (share: number) => {
      const index = indexConfig(cfg({ '*': { config: 'b', share } }));
      return new Set(sessions.filter((s) => selectShadow(index, resolve(index, 'shop', 'recs', s)!, s)));
    };
    const ten = at(10);
    const fifty = at(50);
    expect(at(10)).toEqual(ten);
    expect([...ten].every((s) => fifty.has(s))).toBe(true);
    expect(ten.size / sessions.length).toBeGreaterThan(0.07);
    expect(ten.size / sessions.length).toBeLessThan(0.13);
    expect(fifty.size / sessions.length).toBeGreaterThan(0.45);
    expect(fifty.size / sessions.length).toBeLessThan(0.55);
  });

  it('buckets apart from a running experiment and canary: the shadowed share is the same in every arm', () => {
    const experiment = { id: 'exp-1', route: 'shop', intent: 'recs', control: 'a', treatment: 'c', split: 0.5 };
    const canary = { id: 'can-1', route: 'shop', intent: 'faq', baseline: 'c', candidate: 'a', weight: 50 };
    const config = cfg({ '*': { config: 'b', share: 50 } }, { experiments: [experiment], canaries: [canary] });
    const index = indexConfig(config);
    for (const [intent, arms] of [
      ['recs', ['control', 'treatment']],
      ['faq', ['baseline', 'canary']],
    ] as const) {
      const counts = new Map<string, { all: number; shadowed: number }>(arms.map((a) => [a, { all: 0, shadowed: 0 }]));
      for (const s of sessions) {
        const r = resolve(index, 'shop', intent, s)!;
        const c = counts.get(r.arm)!;
        c.all++;
        if (selectShadow(index, r, s)) c.shadowed++;
      }
      for (const arm of arms) {
        const c = counts.get(arm)!;
        expect(c.all).toBeGreaterThan(1700);
        // Independent buckets: about half of each arm is shadowed (4 standard errors at n ~ 2000 is about 0.045).
        expect(Math.abs(c.shadowed / c.all - 0.5)).toBeLessThan(0.045);
      }
    }
  });
});

describe('shadow in the configuration schema', () => {
  it('refuses an unknown configuration and an intent the route does not list, naming them', () => {
    const bad = GatewayConfig.safeParse({
      ...cfg({}),
      routes: [
        {
          name: 'shop',
          intents: ['recs'],
          default: 'a',
          shadow: { recs: { config: 'nope', share: 10 }, weather: { config: 'b', share: 5 } },
        },
      ],
    });
    expect(bad.success).toBe(false);
    const messages = bad.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(messages).toContain('routes.0.shadow.recs.config: unknown configuration "nope"');
    expect(messages.some((m) => m.startsWith('routes.0.shadow.weather: intent "weather" is not in the route'))).toBe(true);
  });

  it('refuses a share outside 0..100', () => {
    expect(
      GatewayConfig.safeParse({
        ...cfg({}),
        routes: [{ name: 'shop', intents: ['recs'], default: 'a', shadow: { recs: { config: 'b', share: 101 } } }],
      }).success,
    ).toBe(false);
  });
});
