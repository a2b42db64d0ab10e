import { Gauge, type Registry } from 'prom-client';
import type { CanaryState, DecisionFigures } from './schema.ts';

/** The controller's Prometheus gauges; created once, registered on a registry when one is given. */
export interface CanaryMetrics {
  register(registry: Registry): void;
  /** Updates the gauges of a canary from its state and, after a window, the figures behind the decision. */
  observe(canaryId: string, state: CanaryState, figures: DecisionFigures | null): void;
}

/** Stage gauge value: 0 pending or warming, 1..n the stages, -1 rolled back. */
export function stageValue(state: CanaryState): number {
  return state.status === 'rolled_back' ? -1 : state.stageIndex;
}

/** Builds the gauges (not yet registered anywhere). */
export function canaryMetrics(): CanaryMetrics {
  const stage = new Gauge({
    name: 'gateway_canary_stage',
    help: 'Canary stage: 0 pending or warming, 1..n the stages (1 = first, e.g. 5%), -1 rolled back',
    labelNames: ['canary'],
    registers: [],
  });
  const weight = new Gauge({
    name: 'gateway_canary_weight_percent',
    help: 'Percent of sessions on the canary candidate',
    labelNames: ['canary'],
    registers: [],
  });
  const quality = new Gauge({
    name: 'gateway_canary_quality',
    help: 'Mean quality score of the last judged window, per arm',
    labelNames: ['canary', 'arm'],
    registers: [],
  });
  const delta = new Gauge({
    name: 'gateway_canary_quality_delta',
    help: 'Relative quality difference candidate / baseline - 1 of the last judged window',
    labelNames: ['canary'],
    registers: [],
  });
  const p95 = new Gauge({
    name: 'gateway_canary_p95_latency_seconds',
    help: 'P95 latency of the last judged window, per arm',
    labelNames: ['canary', 'arm'],
    registers: [],
  });
  const all: [string, Gauge<string>][] = [
    ['gateway_canary_stage', stage],
    ['gateway_canary_weight_percent', weight],
    ['gateway_canary_quality', quality],
    ['gateway_canary_quality_delta', delta],
    ['gateway_canary_p95_latency_seconds', p95],
  ];
  return {
    register(registry) {
      for (const [name, gauge] of all) if (!registry.getSingleMetric(name)) registry.registerMetric(gauge);
    },
    observe(canaryId, state, figures) {
      stage.set({ canary: canaryId }, stageValue(state));
      weight.set({ canary: canaryId }, state.weight);
      if (!figures) return;
      for (const arm of ['candidate', 'baseline'] as const) {
        const f = figures[arm];
        if (f.quality !== null) quality.set({ canary: canaryId, arm }, f.quality);
        if (f.p95LatencyMs !== null) p95.set({ canary: canaryId, arm }, f.p95LatencyMs / 1000);
      }
      if (figures.qualityDelta) delta.set({ canary: canaryId }, figures.qualityDelta.estimate);
    },
  };
}
