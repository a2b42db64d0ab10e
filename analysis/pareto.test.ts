import { describe, expect, it } from 'vitest';
import { chooseConfig } from './choice.ts';
import { paretoFront, type Candidate } from './pareto.ts';

function c(configId: string, quality: number, passRate: number, costPerRequest: number, p95LatencyMs: number): Candidate {
  return { configId, quality, passRate, costPerRequest, p95LatencyMs, scored: 100, requests: 100, costSd: null };
}

describe('Pareto front and choice', () => {
  it('keeps trade-offs and drops configurations dominated on every axis', () => {
    const front = paretoFront([
      c('sonnet', 0.84, 0.91, 0.012, 2300),
      c('haiku', 0.72, 0.58, 0.004, 900),
      c('sonnet-3', 0.79, 0.7, 0.013, 2600),
    ]);
    expect(front.map((x) => x.configId)).toEqual(['sonnet', 'haiku']);
  });

  it('drops a configuration that is worse on one axis only and equal on the others', () => {
    const front = paretoFront([c('a', 0.85, 0.9, 0.01, 2000), c('b', 0.85, 0.9, 0.01, 2100), c('d', 0.85, 0.9, 0.011, 2000)]);
    expect(front.map((x) => x.configId)).toEqual(['a']);
  });

  it('keeps exact ties on every axis together', () => {
    const front = paretoFront([c('a', 0.85, 0.9, 0.01, 2000), c('b', 0.85, 0.9, 0.01, 2000)]);
    expect(front.map((x) => x.configId)).toEqual(['a', 'b']);
  });

  it('chooses the cheapest passing configuration, not the best quality', () => {
    const choice = chooseConfig([c('sonnet', 0.91, 0.99, 0.004, 1500), c('haiku', 0.89, 0.98, 0.0013, 600)]);
    expect(choice.chosen?.configId).toBe('haiku');
    expect(choice.passing).toEqual(['haiku', 'sonnet']);
  });

  it('breaks a cost tie by quality', () => {
    const choice = chooseConfig([c('v1', 0.82, 0.85, 0.01, 2000), c('v2', 0.84, 0.92, 0.01, 2100)]);
    expect(choice.chosen?.configId).toBe('v2');
  });

  it('skips configurations failing the gate or the SLA, the pass rate boundary included', () => {
    const choice = chooseConfig([
      c('cheap-bad', 0.72, 0.58, 0.002, 800),
      c('cheap-slow', 0.9, 0.95, 0.003, 3001),
      c('edge', 0.8, 0.8, 0.006, 3000),
      c('premium', 0.86, 0.93, 0.012, 2000),
    ]);
    expect(choice.chosen?.configId).toBe('edge');
  });

  it('chooses a passing configuration even when it is off the front', () => {
    const choice = chooseConfig([c('fails-gate', 0.9, 0.7, 0.005, 1000), c('passes', 0.85, 0.85, 0.006, 1200)]);
    expect(choice.front.map((x) => x.configId)).toEqual(['fails-gate']);
    expect(choice.chosen?.configId).toBe('passes');
  });

  it('says so when nothing passes, and names the closest', () => {
    const choice = chooseConfig([c('haiku', 0.72, 0.58, 0.004, 900), c('slow', 0.9, 0.95, 0.01, 3300)]);
    expect(choice.chosen).toBeNull();
    expect(choice.closest?.configId).toBe('slow');
    expect(choice.reason).toMatch(/no configuration passes.*closest: slow/);
  });

  it('handles no candidates', () => {
    const choice = chooseConfig([]);
    expect(choice.chosen).toBeNull();
    expect(choice.closest).toBeNull();
  });
});
