import type { z } from 'zod';

/** What the fallback check reads of a configuration. */
interface WithFallbacks {
  id: string;
  fallbacks?: string[] | undefined;
}

/**
 * Checks every configuration's `fallbacks`: each names an existing configuration, at most once, never the
 * configuration itself, and following fallbacks from any configuration never comes back to it (a cycle).
 */
export function checkFallbacks(configs: readonly WithFallbacks[], known: ReadonlySet<string>, ctx: z.RefinementCtx): void {
  const byId = new Map(configs.map((c) => [c.id, c.fallbacks ?? []]));
  configs.forEach((c, i) => {
    const seen = new Set<string>();
    (c.fallbacks ?? []).forEach((id, j) => {
      const path = ['configs', i, 'fallbacks', j];
      if (id === c.id) ctx.addIssue({ code: 'custom', path, message: `configuration "${c.id}" names itself as a fallback` });
      else if (!known.has(id)) ctx.addIssue({ code: 'custom', path, message: `unknown configuration "${id}"` });
      else if (seen.has(id)) ctx.addIssue({ code: 'custom', path, message: `fallback "${id}" is named twice` });
      seen.add(id);
    });
  });
  const reported = new Set<string>();
  configs.forEach((c, i) => {
    const cycle = cycleFrom(c.id, byId);
    if (!cycle || cycle.length < 3) return;
    const key = [...cycle.slice(0, -1)].sort().join(',');
    if (reported.has(key)) return;
    reported.add(key);
    ctx.addIssue({ code: 'custom', path: ['configs', i, 'fallbacks'], message: `fallbacks form a cycle: ${cycle.join(' -> ')}` });
  });
}

/** The first path of fallbacks from `start` that comes back to it (`start`, ..., `start`), or null. */
export function cycleFrom(start: string, byId: ReadonlyMap<string, readonly string[]>): string[] | null {
  const visited = new Set<string>();
  const walk = (id: string, path: string[]): string[] | null => {
    for (const next of byId.get(id) ?? []) {
      if (next === start) return [...path, next];
      if (visited.has(next)) continue;
      visited.add(next);
      const found = walk(next, [...path, next]);
      if (found) return found;
    }
    return null;
  };
  return walk(start, [start]);
}

/**
 * The configurations a request assigned to `first` may be served by, in the order they are tried: `first`, then
 * its fallbacks depth first (each fallback's own fallbacks right after it), each once, at most `limit` of them.
 */
export function fallbackChain(first: string, byId: ReadonlyMap<string, readonly string[]>, limit: number): string[] {
  const chain: string[] = [];
  const visit = (id: string): void => {
    if (chain.length >= limit || chain.includes(id) || !byId.has(id)) return;
    chain.push(id);
    for (const next of byId.get(id) ?? []) visit(next);
  };
  visit(first);
  return chain;
}
