import { expect } from 'vitest';

/** Equal within 1e-9 relative (or both the same non-finite value), recursively; strings and booleans exactly. */
export function expectClose(a: unknown, b: unknown, path = '$'): void {
  if (typeof a === 'number' && typeof b === 'number') {
    if (!Number.isFinite(a) || !Number.isFinite(b)) return void expect(Object.is(a, b) || a === b, `${path}: ${a} vs ${b}`).toBe(true);
    return void expect(Math.abs(a - b), `${path}: ${a} vs ${b}`).toBeLessThanOrEqual(1e-9 * Math.max(Math.abs(a), Math.abs(b)) + 1e-300);
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    expect(b.length, `${path}.length`).toBe(a.length);
    for (const [i, x] of a.entries()) expectClose(x, b[i], `${path}[${i}]`);
    return;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    expect(Object.keys(b).sort(), `${path} keys`).toEqual(Object.keys(a).sort());
    for (const k of Object.keys(a)) expectClose((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
    return;
  }
  expect(b, path).toEqual(a);
}
