import { studentTwoSidedP } from './distributions.ts';
import { sequentialLook, tuneForSampleSize } from './sequential.ts';

/** Settings of a simulated monitoring study: experiments looked at every `lookEvery` units per arm. */
export interface MonitoringSimulation {
  experiments: number;
  maxPerArm: number;
  lookEvery: number;
  mean: number;
  sd: number;
  /** True treatment effect (0 for an A/A study). */
  effect: number;
  alpha: number;
  /** Units per arm at which the sequential test is tuned to be tightest. */
  nStar: number;
  seed: number;
}

/** Share of simulated experiments in which each procedure declared a difference. */
export interface MonitoringOutcome {
  /** Always-valid confidence sequence, checked at every look. */
  sequentialRate: number;
  /** Fixed-horizon Welch test, checked at every look (peeking). */
  fixedPeekingRate: number;
  /** Fixed-horizon Welch test, checked once at the planned horizon. */
  fixedFinalRate: number;
  /** Mean units per arm at the sequential test's first detection (detected runs only). */
  meanDetectionPerArm: number | null;
}

/** A small seeded generator (xorshift32) of uniforms on (0, 1) and standard normals (Box-Muller). */
export function seededSource(seed: number): { uniform: () => number; normal: () => number } {
  let x = seed >>> 0 || 0x9e3779b9;
  const uniform = (): number => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return (x + 0.5) / 4294967296;
  };
  return { uniform, normal: () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()) };
}

/** Runs the study: how often each procedure rejects (false-positive rate when effect is 0, power otherwise). */
export function simulateMonitoring(s: MonitoringSimulation): MonitoringOutcome {
  const draw = seededSource(s.seed).normal;
  const tuning = tuneForSampleSize(s.nStar, s.sd, s.alpha);
  let sequential = 0;
  let peeking = 0;
  let final = 0;
  let detectionSum = 0;
  for (let e = 0; e < s.experiments; e++) {
    let sa = 0,
      qa = 0,
      sb = 0,
      qb = 0;
    let seqHit = false;
    let peekHit = false;
    for (let n = 1; n <= s.maxPerArm; n++) {
      const a = s.mean + s.sd * draw();
      const b = s.mean + s.effect + s.sd * draw();
      sa += a;
      qa += a * a;
      sb += b;
      qb += b * b;
      if (n % s.lookEvery !== 0) continue;
      const ma = sa / n;
      const mb = sb / n;
      const va = (qa - n * ma * ma) / (n - 1) / n;
      const vb = (qb - n * mb * mb) / (n - 1) / n;
      const v = va + vb;
      const diff = mb - ma;
      const df = (v * v) / ((va * va + vb * vb) / (n - 1));
      const p = studentTwoSidedP(diff / Math.sqrt(v), df);
      if (p < s.alpha) peekHit = true;
      if (n === s.maxPerArm && p < s.alpha) final++;
      if (!seqHit && sequentialLook(diff, v, tuning).significant) {
        seqHit = true;
        detectionSum += n;
      }
    }
    if (seqHit) sequential++;
    if (peekHit) peeking++;
  }
  return {
    sequentialRate: sequential / s.experiments,
    fixedPeekingRate: peeking / s.experiments,
    fixedFinalRate: final / s.experiments,
    meanDetectionPerArm: sequential > 0 ? detectionSum / sequential : null,
  };
}
