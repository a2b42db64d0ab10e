import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { benjaminiHochberg, holm } from './multiplicity.ts';
import { sampleRatioMismatch, twoProportionTest } from './proportions.ts';
import { summarize } from './summary.ts';
import { welchTest } from './welch.ts';

interface Reference {
  welch: { control: number[]; treatment: number[]; t: number; df: number; p: number; ci: [number, number] }[];
  proportions: {
    x1: number;
    n1: number;
    x2: number;
    n2: number;
    z: number;
    p: number;
    chi2: number;
    pChi2: number;
    ci: [number, number];
  }[];
  srm: { observed: number[]; shares: number[]; chi2: number; p: number }[];
  multiplicity: { p: number[]; holm: number[]; bh: number[] }[];
}

const ref = JSON.parse(readFileSync(new URL('./fixtures/stats-reference.json', import.meta.url), 'utf8')) as Reference;

function close(actual: number, expected: number, rel = 1e-9): void {
  const scale = Math.max(Math.abs(expected), 1e-300);
  expect(Math.abs(actual - expected) / scale, `${actual} vs ${expected}`).toBeLessThanOrEqual(rel);
}

describe('agreement with scipy (fixtures from fixtures/make-fixtures.py)', () => {
  it.each(ref.welch.map((c, i) => [i, c] as const))('Welch t, df, p and interval, case %i', (_, c) => {
    const r = welchTest(summarize(c.control), summarize(c.treatment));
    close(r.t, c.t);
    close(r.df, c.df);
    close(r.p, c.p);
    close(r.ci[0], c.ci[0]);
    close(r.ci[1], c.ci[1]);
  });

  it.each(ref.proportions.map((c, i) => [i, c] as const))('two-proportion z, p and interval, case %i', (_, c) => {
    const r = twoProportionTest(c.x1, c.n1, c.x2, c.n2);
    close(r.z, c.z);
    close(r.p, c.p);
    close(r.z * r.z, c.chi2);
    close(r.p, c.pChi2);
    close(r.ci[0], c.ci[0]);
    close(r.ci[1], c.ci[1]);
  });

  it.each(ref.srm.map((c, i) => [i, c] as const))('sample-ratio-mismatch chi-square, case %i', (_, c) => {
    const r = sampleRatioMismatch(c.observed, c.shares);
    close(r.chi2, c.chi2);
    close(r.p, c.p);
    expect(r.mismatch).toBe(c.p < 0.001);
  });

  it.each(ref.multiplicity.map((c, i) => [i, c] as const))('Holm and Benjamini-Hochberg, case %i', (_, c) => {
    for (const [i, p] of holm(c.p).entries()) close(p, c.holm[i]!);
    for (const [i, p] of benjaminiHochberg(c.p).entries()) close(p, c.bh[i]!);
  });
});
