import type { RatioSums } from '../../analysis/stats/ratio.ts';
import type { ArmWindow, WindowFigures } from './gates.ts';
import { p95WithBounds } from './quantile.ts';

/**
 * A synthetic model of the live traffic one monitor window sees, for planning and for the seeded runs that
 * check the gates' power. Defaults follow MangaAssist-like volumes (see docs/canary.md).
 */
export interface TrafficModel {
  /** Live requests on the canary's route (all arms) per window: 1M messages a day is ~20,800 per 30 minutes. */
  requestsPerWindow: number;
  /** Mean requests per session (sessions are what is randomised). */
  requestsPerSession: number;
  /** Share of requests that get a quality_score back. */
  feedbackRate: number;
  baseline: ArmModel;
  candidate: ArmModel;
}

/** How one arm behaves. */
export interface ArmModel {
  qualityMean: number;
  /** Per-request spread of quality around the session's own level. */
  qualitySd: number;
  /** Spread of the session level around the mean (requests of one session are correlated). */
  sessionSd: number;
  /** Median total latency in ms; log-normal with `latencySigma`. */
  latencyP50Ms: number;
  latencySigma: number;
  errorRate: number;
  costPerRequest: number;
}

/** The MangaAssist-like defaults: ~20,800 live requests per 30-minute window, 4 per session, 30% scored. */
export const MANGAASSIST_WINDOW: TrafficModel = {
  requestsPerWindow: 20_800,
  requestsPerSession: 4,
  feedbackRate: 0.3,
  baseline: {
    qualityMean: 0.85,
    qualitySd: 0.07,
    sessionSd: 0.03,
    latencyP50Ms: 1_200,
    latencySigma: 0.35,
    errorRate: 0.005,
    costPerRequest: 0.006,
  },
  candidate: {
    qualityMean: 0.85,
    qualitySd: 0.07,
    sessionSd: 0.03,
    latencyP50Ms: 1_200,
    latencySigma: 0.35,
    errorRate: 0.005,
    costPerRequest: 0.006,
  },
};

/** A small seeded generator (mulberry32) with normal draws. */
export function seededRandom(seed: number): { uniform: () => number; normal: () => number } {
  let a = seed >>> 0;
  const uniform = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let spare: number | null = null;
  const normal = (): number => {
    if (spare !== null) {
      const z = spare;
      spare = null;
      return z;
    }
    const r = Math.sqrt(-2 * Math.log(1 - uniform()));
    const theta = 2 * Math.PI * uniform();
    spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  };
  return { uniform, normal };
}

const LATENCY_SAMPLES = 4_000;

function simulateArm(model: TrafficModel, arm: ArmModel, sessions: number, rng: ReturnType<typeof seededRandom>): ArmWindow {
  // P95 of a few thousand draws is as good as of all of them, and much cheaper to simulate.
  const latencies = new Float64Array(Math.min(LATENCY_SAMPLES, Math.ceil(sessions * model.requestsPerSession * 3) + 16));
  let latencyCount = 0;
  const sums: RatioSums = { sessions: 0, sumY: 0, sumN: 0, sumYY: 0, sumNN: 0, sumYN: 0 };
  let requests = 0;
  let errors = 0;
  for (let s = 0; s < sessions; s++) {
    const n = 1 + Math.floor(-Math.log(1 - rng.uniform()) * (model.requestsPerSession - 1) + 0.5);
    const level = arm.qualityMean + arm.sessionSd * rng.normal();
    let y = 0;
    let scored = 0;
    for (let i = 0; i < n; i++) {
      requests++;
      if (rng.uniform() < arm.errorRate) {
        errors++;
        continue;
      }
      if (latencyCount < latencies.length) latencies[latencyCount++] = arm.latencyP50Ms * Math.exp(arm.latencySigma * rng.normal());
      if (rng.uniform() < model.feedbackRate) {
        y += Math.min(1, Math.max(0, level + arm.qualitySd * rng.normal()));
        scored++;
      }
    }
    if (scored > 0) {
      sums.sessions++;
      sums.sumY += y;
      sums.sumN += scored;
      sums.sumYY += y * y;
      sums.sumNN += scored * scored;
      sums.sumYN += y * scored;
    }
  }
  const ok = requests - errors;
  const p95 = p95WithBounds(latencies.slice(0, latencyCount).sort());
  return {
    figures: {
      requests,
      scored: sums.sumN,
      quality: sums.sumN ? sums.sumY / sums.sumN : null,
      p95LatencyMs: p95?.p95 ?? null,
      errorRate: requests ? errors / requests : null,
      costPerRequest: ok ? arm.costPerRequest : null,
    },
    sessions,
    errors,
    sums: sums.sessions ? sums : null,
    p95Bounds: p95 && { lower: p95.lower, upper: p95.upper },
    // Every request of an arm costs the same in this model.
    costSumSq: ok ? ok * arm.costPerRequest ** 2 : null,
  };
}

/** One window of synthetic live traffic at `weight` percent on the candidate. */
export function simulateWindow(model: TrafficModel, weight: number, rng: ReturnType<typeof seededRandom>): WindowFigures {
  const totalSessions = Math.round(model.requestsPerWindow / model.requestsPerSession);
  let candidateSessions = 0;
  for (let s = 0; s < totalSessions; s++) if (rng.uniform() * 100 < weight) candidateSessions++;
  return {
    candidate: simulateArm(model, model.candidate, candidateSessions, rng),
    baseline: simulateArm(model, model.baseline, totalSessions - candidateSessions, rng),
  };
}
