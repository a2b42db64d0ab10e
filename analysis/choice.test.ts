import { describe, expect, it } from 'vitest';
import { chooseConfig, DEFAULT_CHOICE_RULES, shortageText, type ChoiceRules } from './choice.ts';
import { costTie } from './cost-tie.ts';
import { paretoFront, type Candidate } from './pareto.ts';
import { normalQ } from './stats/distributions.ts';

type Figures = Omit<Candidate, 'configId' | 'requests'> & { requests?: number };

function c(configId: string, f: Figures): Candidate {
  return { configId, requests: f.requests ?? f.scored, ...f };
}

/** The demo's figures (see test/support/choice-fixtures.ts): chitchat, return_request, checkout_help. */
const haikuChitchat = c('haiku-35', { quality: 0.93, passRate: 1, costPerRequest: 0.00052, costSd: 0.0002, p95LatencyMs: 420, scored: 29 });
const sonnetChitchat = c('sonnet-35-v1', {
  quality: 0.9,
  passRate: 0.96,
  costPerRequest: 0.00155,
  costSd: 0.0005,
  p95LatencyMs: 1100,
  scored: 158,
  requests: 160,
});
const sonnet3 = c('sonnet-3', {
  quality: 0.84,
  passRate: 0.85,
  costPerRequest: 0.00411,
  costSd: 0.0012,
  p95LatencyMs: 2300,
  scored: 68,
  requests: 70,
});
const sonnet35v2 = c('sonnet-35-v2', {
  quality: 0.91,
  passRate: 0.95,
  costPerRequest: 0.00412,
  costSd: 0.0012,
  p95LatencyMs: 2000,
  scored: 65,
  requests: 66,
});

const NO_TIES: ChoiceRules = { ...DEFAULT_CHOICE_RULES, costTieTolerance: 0, costTieAlpha: null };

describe('visible minimum of scored requests', () => {
  it('names a cheaper passing configuration with 29 scored requests and does not choose it', () => {
    const choice = chooseConfig([haikuChitchat, sonnetChitchat]);
    expect(choice.chosen?.configId).toBe('sonnet-35-v1');
    expect(choice.passing).toEqual(['sonnet-35-v1']);
    expect(choice.insufficient).toEqual([{ configId: 'haiku-35', scored: 29, needed: 1, passes: true, passRate: 1, p95LatencyMs: 420 }]);
    expect(shortageText(choice.insufficient[0]!)).toBe('haiku-35 passes on 29 scored requests; 1 more needed');
    expect(choice.front.map((x) => x.configId)).toEqual(['sonnet-35-v1']);
  });

  it('counts a configuration at exactly the minimum', () => {
    const choice = chooseConfig([{ ...haikuChitchat, scored: 30, requests: 30 }, sonnetChitchat]);
    expect(choice.chosen?.configId).toBe('haiku-35');
    expect(choice.insufficient).toEqual([]);
  });

  it('says the data is short, not missing, when every configuration is under the minimum', () => {
    const only = { ...sonnet3, configId: 'sonnet-35-v1', scored: 21, requests: 21 };
    const choice = chooseConfig([only]);
    expect(choice.chosen).toBeNull();
    expect(choice.closest).toBeNull();
    expect(choice.reason).toBe('no configuration has enough data (n >= 30 scored)');
    expect(shortageText(choice.insufficient[0]!)).toBe('sonnet-35-v1 passes on 21 scored requests; 9 more needed');
  });

  it('says what a short configuration fails on', () => {
    const failing = c('haiku-35', { quality: 0.6, passRate: 0.5, costPerRequest: 0.0005, costSd: 0.0002, p95LatencyMs: 3400, scored: 1 });
    const [s] = chooseConfig([failing]).insufficient;
    expect(shortageText(s!)).toBe('haiku-35 does not pass (pass rate 50.0%, P95 3400 ms) on 1 scored request; 29 more needed');
  });

  it('follows the configured minimum', () => {
    expect(chooseConfig([haikuChitchat, sonnetChitchat], { ...DEFAULT_CHOICE_RULES, minScored: 20 }).chosen?.configId).toBe('haiku-35');
  });
});

describe('cost ties broken by quality', () => {
  it('chooses the better configuration $0.00001 dearer at the same list price, and says why', () => {
    const choice = chooseConfig([sonnet3, sonnet35v2]);
    expect(choice.chosen?.configId).toBe('sonnet-35-v2');
    expect(choice.passing).toEqual(['sonnet-3', 'sonnet-35-v2']);
    expect(choice.tie?.cheapest.configId).toBe('sonnet-3');
    expect(choice.tie?.chosen).toBe('sonnet-35-v2');
    expect(choice.tie?.tied.map((t) => [t.configId, t.ground.rule])).toEqual([['sonnet-35-v2', 'tolerance']]);
    expect(choice.tie!.tied[0]!.ground.relative).toBeCloseTo(0.00001 / 0.00411, 12);
    expect(choice.reason).toBe(
      'sonnet-35-v2 is chosen from 2 passing configuration(s) (pass rate 95.0%, P95 2000 ms); cost tie with the cheapest, sonnet-3 at ' +
        '$0.00411/request: sonnet-35-v2 $0.00412 (+0.2%, within the 2% tolerance); broken by quality: sonnet-35-v2 0.910, sonnet-3 0.840',
    );
    expect(choice.front.map((x) => x.configId)).toEqual(paretoFront([sonnet3, sonnet35v2]).map((x) => x.configId));
  });

  it('keeps the cheapest without the tie rules', () => {
    const choice = chooseConfig([sonnet3, sonnet35v2], NO_TIES);
    expect(choice.chosen?.configId).toBe('sonnet-3');
    expect(choice.tie).toBeNull();
  });

  it('reports a tie the cheapest wins on quality too', () => {
    const choice = chooseConfig([{ ...sonnet3, quality: 0.95 }, sonnet35v2]);
    expect(choice.chosen?.configId).toBe('sonnet-3');
    expect(choice.reason).toMatch(/^sonnet-3 is the cheapest of 2 passing .*broken by quality: sonnet-3 0\.950, sonnet-35-v2 0\.910$/);
  });

  it('never ties a configuration at three times the cost, whatever its quality', () => {
    const choice = chooseConfig([
      { ...haikuChitchat, scored: 40, requests: 40 },
      { ...sonnetChitchat, quality: 0.99 },
    ]);
    expect(choice.chosen?.configId).toBe('haiku-35');
    expect(choice.tie).toBeNull();
  });

  it('ties a 10% difference that lies within its own uncertainty, and only then', () => {
    const cheap = c('a', { quality: 0.82, passRate: 0.85, costPerRequest: 0.004, costSd: 0.003, p95LatencyMs: 1000, scored: 40 });
    const dear = c('b', { quality: 0.9, passRate: 0.95, costPerRequest: 0.0044, costSd: 0.003, p95LatencyMs: 1000, scored: 40 });
    const ground = costTie(dear, cheap, DEFAULT_CHOICE_RULES);
    expect(ground?.rule).toBe('uncertainty');
    const se = Math.sqrt((2 * 0.003 ** 2) / 40);
    if (ground?.rule !== 'uncertainty') throw new Error('expected an uncertainty tie');
    expect(ground.halfWidth).toBeGreaterThan(normalQ(0.975) * se);
    expect(ground.halfWidth).toBeLessThan(1.01 * 1.9908 * se); // Student t(0.975, 78 df) = 1.9908
    expect(chooseConfig([cheap, dear]).chosen?.configId).toBe('b');
    expect(chooseConfig([cheap, dear]).reason).toContain('(+10.0%, within the 95% uncertainty of the difference, ±$0.00134)');
    expect(costTie(dear, cheap, { ...DEFAULT_CHOICE_RULES, costTieAlpha: null })).toBeNull();
    expect(costTie({ ...dear, scored: 4000, requests: 4000 }, { ...cheap, scored: 4000, requests: 4000 }, DEFAULT_CHOICE_RULES)).toBeNull();
  });

  it('does not tie by uncertainty when a spread is unknown or both are zero', () => {
    const a = c('a', { quality: 0.8, passRate: 0.9, costPerRequest: 0.004, costSd: null, p95LatencyMs: 1000, scored: 40 });
    const b = c('b', { quality: 0.9, passRate: 0.9, costPerRequest: 0.0044, costSd: 0.003, p95LatencyMs: 1000, scored: 40 });
    expect(costTie(b, a, DEFAULT_CHOICE_RULES)).toBeNull();
    expect(costTie({ ...b, costSd: 0 }, { ...a, costSd: 0 }, DEFAULT_CHOICE_RULES)).toBeNull();
  });

  it('anchors ties at the cheapest, so a chain of small steps does not tie far apart costs', () => {
    const step = (id: string, costPerRequest: number, quality: number) =>
      c(id, { quality, passRate: 0.9, costPerRequest, costSd: null, p95LatencyMs: 1000, scored: 50 });
    const choice = chooseConfig([step('a', 0.001, 0.8), step('b', 0.00101, 0.85), step('c', 0.00103, 0.99)]);
    expect(choice.chosen?.configId).toBe('b');
    expect(choice.tie?.tied.map((t) => t.configId)).toEqual(['b']);
  });

  it('ties two free configurations, and never a priced one with a free one', () => {
    const free = (id: string, costPerRequest: number, quality: number) =>
      c(id, { quality, passRate: 0.9, costPerRequest, costSd: 0, p95LatencyMs: 1000, scored: 50 });
    expect(chooseConfig([free('a', 0, 0.8), free('b', 0, 0.9)]).chosen?.configId).toBe('b');
    expect(chooseConfig([free('a', 0, 0.8), free('b', 1e-9, 0.9)]).chosen?.configId).toBe('a');
  });

  it('says a tie by uncertainty with a free cheapest configuration in dollars, never as an infinite percentage', () => {
    const free = c('free', { quality: 0.8, passRate: 0.9, costPerRequest: 0, costSd: 0, p95LatencyMs: 1000, scored: 50 });
    const noisy = c('noisy', { quality: 0.9, passRate: 0.9, costPerRequest: 0.0001, costSd: 0.002, p95LatencyMs: 1000, scored: 50 });
    const choice = chooseConfig([free, noisy]);
    expect(choice.chosen?.configId).toBe('noisy');
    expect(choice.tie?.tied[0]?.ground.rule).toBe('uncertainty');
    expect(choice.reason).toContain('the cheapest is free');
    expect(choice.reason).not.toMatch(/Infinity|NaN/);
  });
});
