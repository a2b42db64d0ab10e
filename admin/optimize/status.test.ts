import { describe, expect, it } from 'vitest';
import type { Canary } from '../../schema/config.ts';
import { defaultPlan, type ArmFigures, type CanaryState, type Decision } from '../canary/schema.ts';
import type { CanaryStep, OptimizePlan } from './plan.ts';
import { buildStatus, intentStatus, type CanaryRecord } from './status.ts';

const VOLUME = { dailyVolume: 100_000, daysPerMonth: 30 };

function step(intent: string, saving: number | null): CanaryStep {
  return {
    action: 'canary',
    route: 'mangaassist',
    intent,
    canaryId: `optimize-${intent}`,
    baseline: 'sonnet-35-v1',
    candidate: 'haiku-35',
    startRestsOn: 'live',
    promotionRestsOn: 'live canary gates',
    share: 0.25,
    monthlySavingUsd: saving,
    savingFrom: saving === null ? null : 'live',
    reason: 'live',
    evidence: { live: { baseline: null, candidate: null }, offline: null },
  };
}

const arm = (cost: number | null, errorRate = 0): ArmFigures => ({
  requests: 100,
  scored: 90,
  quality: 0.85,
  p95LatencyMs: 900,
  errorRate,
  costPerRequest: cost,
});

function decision(
  action: Decision['action'],
  stage: string,
  costs: [number | null, number | null] | null,
  reason: string = action,
): Decision {
  const figures = costs ? { candidate: arm(costs[0]), baseline: arm(costs[1]), qualityDelta: null, srmP: null } : null;
  return { at: 1, stage, weight: 0, action, actor: 'controller', reason, figures };
}

function state(status: CanaryState['status'], stage: string, weight: number): CanaryState {
  return {
    status,
    stageIndex: 1,
    stage,
    weight,
    stageStartedAt: 0,
    windowStartedAt: 0,
    updatedAt: 0,
    plan: defaultPlan(),
    reference: null,
  };
}

function canary(status: Canary['status']): Canary {
  return { id: 'x', route: 'mangaassist', intent: 'faq', baseline: 'sonnet-35-v1', candidate: 'haiku-35', weight: 0, status };
}

describe('optimize status', () => {
  it('counts a shipped canary at 100% of its live saving per request, from the newest figures with both costs', () => {
    const record: CanaryRecord = {
      canary: canary('stopped'),
      state: state('completed', '100%', 100),
      decisions: [
        decision('start', 'warmup', null),
        decision('promote', '5%', [0.001, 0.004]),
        decision('complete', '100%', [0.0012, null]),
      ],
    };
    const s = intentStatus(VOLUME, step('faq', 9000), record);
    expect(s).toMatchObject({ outcome: 'shipped', status: 'completed', stage: '100%', weight: 100, projectedMonthlySavingUsd: 9000 });
    expect(s.realisedMonthlySavingUsd).toBeCloseTo(100_000 * 30 * 0.25 * 0.003, 6);
    expect(s.lastDecision).toMatchObject({ action: 'complete', stage: '100%' });
    expect(s.figures?.candidate.costPerRequest).toBe(0.0012);
  });

  it('counts a rolled-back canary as saving nothing and keeps its gate figures', () => {
    const record: CanaryRecord = {
      canary: canary('stopped'),
      state: state('rolled_back', '5%', 0),
      decisions: [
        decision('start', 'warmup', null),
        { ...decision('rollback', '5%', [0.0004, 0.001], 'error rate 30% above the 5% ceiling') },
      ],
    };
    const s = intentStatus(VOLUME, step('order_tracking', 500), record);
    expect(s).toMatchObject({ outcome: 'rolled_back', weight: 0, realisedMonthlySavingUsd: 0 });
    expect(s.lastDecision?.reason).toMatch(/ceiling/);
    expect(s.figures?.baseline.costPerRequest).toBe(0.001);
  });

  it('counts a canary under way at its current weight, and one aborted by hand as rolled back', () => {
    const running: CanaryRecord = {
      canary: { ...canary('running'), weight: 25 },
      state: state('running', '25%', 25),
      decisions: [decision('promote', '5%', [0.001, 0.002]), decision('hold', '25%', null, 'needs 100 scored per arm')],
    };
    const s = intentStatus(VOLUME, step('faq', 1), running);
    expect(s).toMatchObject({ outcome: 'in_progress', weight: 25, lastDecision: { action: 'hold', reason: 'needs 100 scored per arm' } });
    expect(s.realisedMonthlySavingUsd).toBeCloseTo(100_000 * 30 * 0.25 * 0.001 * 0.25, 6);
    const aborted = intentStatus(VOLUME, step('faq', 1), { ...running, canary: canary('stopped') });
    expect(aborted).toMatchObject({ outcome: 'rolled_back', realisedMonthlySavingUsd: 0 });
    const paused = intentStatus(VOLUME, step('faq', 1), { ...running, state: state('paused', '25%', 25) });
    expect(paused.outcome).toBe('paused');
  });

  it('says when a canary of the plan is gone, with no saving known', () => {
    const s = intentStatus(VOLUME, step('faq', 1), { canary: null, state: null, decisions: [] });
    expect(s).toMatchObject({ outcome: 'not_found', status: null, lastDecision: null, figures: null, realisedMonthlySavingUsd: null });
  });

  it('sums the plan: what shipped, what rolled back, what is under way, realised vs projected', () => {
    const plan = {
      ...VOLUME,
      route: 'mangaassist',
      projectedMonthlySavingUsd: 9500,
      steps: [step('faq', 9000), step('order_tracking', 500), step('chitchat', null)],
    } as unknown as OptimizePlan;
    const records = new Map<string, CanaryRecord>([
      [
        'optimize-faq',
        { canary: canary('stopped'), state: state('completed', '100%', 100), decisions: [decision('complete', '100%', [0.001, 0.002])] },
      ],
      [
        'optimize-order_tracking',
        { canary: canary('stopped'), state: state('rolled_back', '5%', 0), decisions: [decision('rollback', '5%', [0.001, 0.002])] },
      ],
      [
        'optimize-chitchat',
        { canary: canary('running'), state: state('pending', 'warmup', 0), decisions: [decision('start', 'warmup', null)] },
      ],
    ]);
    const s = buildStatus({ plan, time: Date.parse('2026-11-30T01:00:00Z'), actor: 'admin-1', version: 42 }, records);
    expect(s).toMatchObject({
      appliedAt: '2026-11-30T01:00:00.000Z',
      appliedBy: 'admin-1',
      auditVersion: 42,
      shipped: ['faq'],
      rolledBack: ['order_tracking'],
      inProgress: ['chitchat'],
      projectedMonthlySavingUsd: 9500,
    });
    expect(s.realisedMonthlySavingUsd).toBeCloseTo(100_000 * 30 * 0.25 * 0.001, 6);
  });
});
