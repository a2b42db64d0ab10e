import { ALL_INTENTS, type ModelConfig } from '../../schema/config.ts';
import { bucketOf } from './bucket.ts';
import type { Resolution, RoutingIndex } from './resolve.ts';

/**
 * Salt of a route's shadow buckets: `shadow:<route>`. Experiment and canary ids cannot contain `:`, so no
 * experiment or canary shares these buckets: whether a session is shadowed says nothing about its arm.
 */
export function shadowSaltOf(route: string): string {
  return `shadow:${route}`;
}

/**
 * The shadow candidate of a routed request, or null: the route names one for the intent (or `*`), the request has a
 * session id, the session's shadow bucket is below share x 100, and the candidate differs from the configuration
 * that answers. Pure apart from the hash.
 */
export function selectShadow(index: RoutingIndex, resolution: Resolution, sessionId: string | null): ModelConfig | null {
  if (!sessionId || !resolution.config) return null;
  const route = index.routes.get(resolution.route);
  const shadow = route?.shadow?.[resolution.intent] ?? route?.shadow?.[ALL_INTENTS];
  if (!route || !shadow || shadow.share <= 0 || shadow.config === resolution.config.id) return null;
  if (bucketOf(shadowSaltOf(route.name), sessionId) >= shadow.share * 100) return null;
  return index.configs.get(shadow.config) ?? null;
}
