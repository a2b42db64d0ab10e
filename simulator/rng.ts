/** A seeded source of uniform numbers in [0, 1) with a few distribution helpers. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Standard normal, by Box-Muller. */
  normal(): number;
  /** Integer in [0, n). */
  int(n: number): number;
}

/** Parameters of a lognormal: the normal mean and sd of its logarithm. */
export interface Lognormal {
  mu: number;
  sigma: number;
}

const Z95 = 1.6448536269514722;
const TWO_32 = 4294967296;

/** Murmur3's 32-bit finaliser: spreads every input bit over the output. */
export function mix32(x: number): number {
  let z = x | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** FNV-1a over the UTF-16 code units of a string, finalised with `mix32`. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  }
  return mix32(h);
}

/** The seed of one call: a function of the simulator seed, the model and the model's call index. */
export function callSeed(seedHash: number, modelHash: number, index: number): number {
  return mix32(seedHash ^ mix32(modelHash + Math.imul(index + 1, 0x9e3779b9)));
}

/** A Weyl sequence passed through `mix32`: small, fast and good enough for simulation. */
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  function next(): number {
    state = (state + 0x9e3779b9) >>> 0;
    return mix32(state) / TWO_32;
  }
  function normal(): number {
    const u = 1 - next();
    const v = next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  function int(n: number): number {
    return Math.floor(next() * n);
  }
  return { next, normal, int };
}

/** Lognormal parameters from its median and 95th percentile (p95 >= p50 > 0). */
export function lognormalFromQuantiles(p50: number, p95: number): Lognormal {
  return { mu: Math.log(p50), sigma: Math.log(p95 / p50) / Z95 };
}

/** One draw from a lognormal. */
export function sampleLognormal(rng: Rng, params: Lognormal): number {
  return Math.exp(params.mu + params.sigma * rng.normal());
}

/** One draw from Gamma(shape, 1), by Marsaglia and Tsang's squeeze method. */
export function sampleGamma(rng: Rng, shape: number): number {
  if (shape < 1) return sampleGamma(rng, shape + 1) * (1 - rng.next()) ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = rng.normal();
    const t = 1 + c * x;
    if (t <= 0) continue;
    const v = t * t * t;
    const u = 1 - rng.next();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** One draw from Beta(a, b). */
export function sampleBeta(rng: Rng, a: number, b: number): number {
  const x = sampleGamma(rng, a);
  const y = sampleGamma(rng, b);
  return x / (x + y);
}
