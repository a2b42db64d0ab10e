import { describe, expect, it } from 'vitest';
import type { IntentConfigRow } from '../../analysis/intent-table.ts';
import { recommendRoute } from '../../analysis/recommend.ts';
import { AnalysisSettings } from '../../analysis/settings.ts';
import { GatewayConfig } from '../../schema/config.ts';
import { loadGatewayConfig } from '../../stores/config/file.ts';
import { intentRow } from '../../test/support/choice-fixtures.ts';
import { defaultPlan } from '../canary/schema.ts';
import type { OfflineReport } from './offline.ts';
import { planOptimization, type CanaryStep, type PlanInput, type SkipStep } from './plan.ts';

const settings = AnalysisSettings.parse({ dailyVolume: 100_000 });
const NOW = Date.parse('2026-11-30T00:00:00Z');

/** requests, scored, quality, pass rate, cost/request, P95 ms */
function row(
  intent: string,
  configId: string,
  requests: number,
  scored: number,
  passRate: number,
  cost: number,
  p95 = 1500,
): IntentConfigRow {
  return intentRow(intent, configId, { requests, scored, quality: 0.85, passRate, cost, costSd: cost / 10, p95 });
}

/** The shipped configuration (sonnet-v2-upgrade runs on recommendation) without or with changes. */
function config(edit: (c: GatewayConfig) => void = () => {}): GatewayConfig {
  const c = structuredClone(loadGatewayConfig('config/mangaassist.json'));
  edit(c);
  return GatewayConfig.parse(c);
}

function offline(choices: [string, string | null][], rows: IntentConfigRow[] = []): OfflineReport {
  return {
    runId: 'eval-1',
    generatedAt: '2026-11-29T00:00:00Z',
    rows,
    choices: choices.map(([intent, chosen]) => ({ intent, chosen, reason: `${chosen} is the cheapest passing offline` })),
  };
}

function plan(rows: IntentConfigRow[], o: Partial<Pick<PlanInput, 'config' | 'offline'>> = {}) {
  const cfg = o.config ?? config();
  const route = cfg.routes[0]!;
  const mix = Object.fromEntries(route.intents.map((i) => [i, 1 / route.intents.length]));
  const recommendation = recommendRoute(rows, route, mix, settings);
  return planOptimization({ recommendation, rows, settings, config: cfg, offline: o.offline ?? null, canaryPlan: defaultPlan(), now: NOW });
}

const step = (p: ReturnType<typeof plan>, intent: string) => p.steps.find((s) => s.intent === intent)!;

/** faq: haiku-35 passes on plenty of live data at under a third of the cost of sonnet-35-v1, which is in force. */
const FAQ = [row('faq', 'sonnet-35-v1', 200, 190, 0.92, 0.004), row('faq', 'haiku-35', 120, 110, 0.9, 0.0012)];

describe('planOptimization', () => {
  it('proposes a canary in force -> recommended on live evidence, with its saving and the minimums', () => {
    const p = plan(FAQ);
    const faq = step(p, 'faq') as CanaryStep;
    expect(faq).toMatchObject({
      action: 'canary',
      route: 'mangaassist',
      canaryId: 'optimize-faq',
      baseline: 'sonnet-35-v1',
      candidate: 'haiku-35',
      startRestsOn: 'live',
      promotionRestsOn: 'live canary gates',
      savingFrom: 'live',
    });
    // 1/8 of 100,000 requests a day for 30 days at $0.0028 less per request.
    expect(faq.monthlySavingUsd).toBeCloseTo((100_000 / 8) * 30 * 0.0028, 6);
    expect(faq.evidence.live.candidate).toMatchObject({ configId: 'haiku-35', scored: 110, costPerRequest: 0.0012 });
    expect(faq.evidence.live.baseline).toMatchObject({ configId: 'sonnet-35-v1', scored: 190 });
    expect(faq.evidence.offline).toBeNull();
    expect(faq.reason).toMatch(/^live: haiku-35 is the cheapest of 2 passing/);
    expect(p.projectedMonthlySavingUsd).toBeCloseTo(faq.monthlySavingUsd!, 6);
    expect(p.minimums).toEqual({ minScored: 30, minPassRate: 0.8, maxP95LatencyMs: 3000, qualityGate: 0.75 });
    expect(p.canaryPlan.stages).toEqual([5, 25, 50, 100]);
    expect(p.steps).toHaveLength(8);
  });

  it('keeps an intent whose recommendation is already in force', () => {
    const p = plan([row('chitchat', 'haiku-35', 100, 100, 0.95, 0.0005), row('chitchat', 'sonnet-35-v1', 100, 100, 0.97, 0.002)]);
    expect(step(p, 'chitchat')).toMatchObject({ action: 'skip', code: 'in-force', current: 'haiku-35', recommended: 'haiku-35' });
    expect(p.projectedMonthlySavingUsd).toBe(0);
  });

  it('proposes nothing where the evidence is short of the minimum, and says what is missing', () => {
    const p = plan([row('faq', 'sonnet-35-v1', 200, 190, 0.92, 0.004), row('faq', 'haiku-35', 25, 20, 1, 0.0012)]);
    const faq = step(p, 'faq') as SkipStep;
    expect(faq).toMatchObject({ action: 'skip', code: 'in-force' });
    const short = step(plan([row('faq', 'haiku-35', 25, 20, 1, 0.0012)]), 'faq') as SkipStep;
    expect(short.code).toBe('no-evidence');
    expect(short.reason).toMatch(/n < 30 scored/);
    expect(short.reason).toMatch(/haiku-35 passes on 20 scored requests; 10 more needed/);
    expect(faq.reason).toMatch(/insufficient data \(n < 30 scored\): haiku-35/);
  });

  it('never overrides a running or paused experiment, on the intent or route-wide', () => {
    const recommendation = [
      row('recommendation', 'sonnet-35-v1', 200, 190, 0.92, 0.004),
      row('recommendation', 'haiku-35', 90, 90, 0.9, 0.001),
    ];
    expect(step(plan(recommendation), 'recommendation')).toMatchObject({ action: 'skip', code: 'experiment' });
    expect((step(plan(recommendation), 'recommendation') as SkipStep).reason).toMatch(/experiment "sonnet-v2-upgrade" is running/);
    const wide = config((c) => {
      c.experiments = [
        { id: 'wide', route: 'mangaassist', control: 'sonnet-35-v1', treatment: 'sonnet-35-v2', split: 0.5, status: 'paused' },
      ];
    });
    expect(step(plan(FAQ, { config: wide }), 'faq')).toMatchObject({ action: 'skip', code: 'experiment' });
    const stopped = config((c) => {
      c.experiments[0]!.status = 'stopped';
    });
    expect(step(plan(recommendation, { config: stopped }), 'recommendation')).toMatchObject({ action: 'canary', candidate: 'haiku-35' });
  });

  it('never overrides an existing canary on the intent; a stopped one only takes its id', () => {
    const running = config((c) => {
      c.canaries = [
        {
          id: 'optimize-faq',
          route: 'mangaassist',
          intent: 'faq',
          baseline: 'sonnet-35-v1',
          candidate: 'sonnet-3',
          weight: 5,
          status: 'running',
        },
      ];
    });
    const skipped = step(plan(FAQ, { config: running }), 'faq') as SkipStep;
    expect(skipped).toMatchObject({ action: 'skip', code: 'canary' });
    expect(skipped.reason).toMatch(/canary "optimize-faq" is running on mangaassist\/faq/);
    const stopped = config((c) => {
      c.canaries = [
        {
          id: 'optimize-faq',
          route: 'mangaassist',
          intent: 'faq',
          baseline: 'sonnet-35-v1',
          candidate: 'sonnet-3',
          weight: 0,
          status: 'stopped',
        },
      ];
    });
    expect(step(plan(FAQ, { config: stopped }), 'faq')).toMatchObject({ action: 'canary', canaryId: 'optimize-faq-2' });
  });

  it('starts on the offline evaluation as a prior when the candidate lacks live evidence, costs from the evaluation', () => {
    const rows = [row('order_tracking', 'haiku-35', 300, 280, 0.95, 0.001)];
    const evalRows = [row('order_tracking', 'haiku-35', 40, 40, 0.95, 0.0011), row('order_tracking', 'custom-ft', 40, 40, 0.97, 0.0004)];
    const p = plan(rows, { offline: offline([['order_tracking', 'custom-ft']], evalRows) });
    const s = step(p, 'order_tracking') as CanaryStep;
    expect(s).toMatchObject({
      action: 'canary',
      baseline: 'haiku-35',
      candidate: 'custom-ft',
      startRestsOn: 'offline-prior',
      promotionRestsOn: 'live canary gates',
      savingFrom: 'offline',
    });
    expect(s.monthlySavingUsd).toBeCloseTo((100_000 / 8) * 30 * 0.0007, 6);
    expect(s.evidence.offline).toMatchObject({ runId: 'eval-1', candidate: { configId: 'custom-ft', scored: 40 } });
    expect(s.evidence.live.candidate).toBeNull();
    expect(s.reason).toMatch(/offline prior \(run eval-1\).*0 live scored request\(s\) < 30, so only the start rests on it/);
    expect(p.offlineRunId).toBe('eval-1');
  });

  it('lets live evidence outrank the offline choice once the candidate has enough live data', () => {
    const rows = [row('order_tracking', 'haiku-35', 300, 280, 0.95, 0.001), row('order_tracking', 'custom-ft', 60, 50, 0.6, 0.0004)];
    const s = step(plan(rows, { offline: offline([['order_tracking', 'custom-ft']]) }), 'order_tracking') as SkipStep;
    expect(s).toMatchObject({ action: 'skip', code: 'live-disagrees' });
    expect(s.reason).toMatch(/chose custom-ft, but live evidence \(50 scored >= 30\) outranks it/);
  });

  it('ignores an offline choice that is the configuration in force', () => {
    const rows = [row('order_tracking', 'haiku-35', 300, 280, 0.95, 0.001)];
    expect(step(plan(rows, { offline: offline([['order_tracking', 'haiku-35']]) }), 'order_tracking')).toMatchObject({ code: 'in-force' });
  });

  it('skips a candidate that is no longer configured, and a route that is gone', () => {
    const s = step(plan([], { offline: offline([['faq', 'ghost-model']]) }), 'faq') as SkipStep;
    expect(s).toMatchObject({ action: 'skip', code: 'unknown-config' });
    expect(s.reason).toMatch(/"ghost-model" is no longer in the configuration/);
    const cfg = config();
    const recommendation = recommendRoute(FAQ, cfg.routes[0]!, { faq: 1 }, settings);
    const renamed = config((c) => {
      c.routes[0]!.name = 'renamed';
      c.experiments = [];
    });
    const p = planOptimization({
      recommendation,
      rows: FAQ,
      settings,
      config: renamed,
      offline: null,
      canaryPlan: defaultPlan(),
      now: NOW,
    });
    expect(p.steps.every((x) => x.action === 'skip' && x.code === 'unknown-config')).toBe(true);
  });

  it('gives no saving when the configuration in force has no live cost, and proposes one canary per intent', () => {
    const rows = [row('checkout_help', 'haiku-35', 90, 90, 0.9, 0.001), ...FAQ];
    const p = plan(rows);
    const s = step(p, 'checkout_help') as CanaryStep;
    expect(s).toMatchObject({ action: 'canary', candidate: 'haiku-35', monthlySavingUsd: null, savingFrom: null });
    expect(s.reason).toMatch(/projected saving unknown/);
    const canaries = p.steps.filter((x) => x.action === 'canary') as CanaryStep[];
    expect(canaries.map((c) => c.canaryId).sort()).toEqual(['optimize-checkout_help', 'optimize-faq']);
    expect(new Set(canaries.map((c) => c.intent)).size).toBe(canaries.length);
    expect(p.projectedMonthlySavingUsd).toBeCloseTo((step(p, 'faq') as CanaryStep).monthlySavingUsd!, 6);
  });
});
