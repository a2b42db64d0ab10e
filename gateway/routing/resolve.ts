import type { Arm } from '../../schema/observation.ts';
import type { Canary, Experiment, GatewayConfig, ModelConfig, Route } from '../../schema/config.ts';
import { bucketOf } from './bucket.ts';

/** Intent used when a request names none, or one its route does not list. */
export const OTHER_INTENT = 'other';
/** Route label for model ids that name no route and are passed through unchanged. */
export const PASSTHROUGH_ROUTE = '_passthrough';
const PIN_PREFIX = 'config:';

/** The outcome of routing one request. */
export interface Resolution {
  route: string;
  intent: string;
  arm: Arm;
  /** The configuration to apply; null when the model id is passed through unchanged. */
  config: ModelConfig | null;
  experimentId: string | null;
  canaryId: string | null;
  /**
   * Share of new sessions this arm receives under the configuration used: split or 1 - split for an experiment,
   * weight / 100 or 1 - weight / 100 for a canary; null when no session was randomised.
   */
  expectedShare: number | null;
}

/** Routing tables indexed once per configuration version, so each request does map look-ups only. */
export interface RoutingIndex {
  configs: Map<string, ModelConfig>;
  routes: Map<string, Route>;
  /** Running experiments by `route/intent`, with `route/*` for route-wide ones. */
  experiments: Map<string, Experiment>;
  canaries: Map<string, Canary>;
  /** Every intent some route lists; other intents of unrouted calls are recorded as `other`. */
  knownIntents: Set<string>;
}

/** Builds the look-up index of a validated configuration. */
export function indexConfig(cfg: GatewayConfig): RoutingIndex {
  const byScope = <T extends { route: string; intent?: string | undefined; status: string }>(items: T[]): Map<string, T> =>
    new Map(items.filter((x) => x.status === 'running').map((x) => [`${x.route}/${x.intent ?? '*'}`, x]));
  return {
    configs: new Map(cfg.configs.map((c) => [c.id, c])),
    routes: new Map(cfg.routes.map((r) => [r.name, r as Route])),
    experiments: byScope(cfg.experiments),
    canaries: byScope(cfg.canaries),
    knownIntents: new Set(cfg.routes.flatMap((r) => r.intents)),
  };
}

/**
 * Picks the configuration for a request. Order: a `config:<id>` pin; a running canary on the
 * (route, intent), else a running experiment; else the route's table entry for the intent, else
 * its default. Without a session id no bucketing happens: the table's choice, arm `unassigned`.
 * Returns null for `config:<id>` naming no configuration.
 */
export function resolve(index: RoutingIndex, modelId: string, rawIntent: string | null, sessionId: string | null): Resolution | null {
  if (modelId.startsWith(PIN_PREFIX)) {
    const config = index.configs.get(modelId.slice(PIN_PREFIX.length));
    if (!config) return null;
    const intent = knownIntent(index, rawIntent);
    return { route: modelId, intent, arm: 'pinned', config, experimentId: null, canaryId: null, expectedShare: null };
  }
  const route = index.routes.get(modelId);
  if (!route) {
    const intent = knownIntent(index, rawIntent);
    return { route: PASSTHROUGH_ROUTE, intent, arm: 'passthrough', config: null, experimentId: null, canaryId: null, expectedShare: null };
  }
  const intent = rawIntent && route.intents.includes(rawIntent) ? rawIntent : OTHER_INTENT;
  const base = configOf(index, route.table[intent] ?? route.default);
  const plain: Resolution = {
    route: route.name,
    intent,
    arm: 'default',
    config: base,
    experimentId: null,
    canaryId: null,
    expectedShare: null,
  };
  const canary = index.canaries.get(`${route.name}/${intent}`) ?? index.canaries.get(`${route.name}/*`);
  const experiment = canary ? undefined : (index.experiments.get(`${route.name}/${intent}`) ?? index.experiments.get(`${route.name}/*`));
  if (!sessionId) return { ...plain, arm: 'unassigned' };
  if (canary) {
    const inCanary = bucketOf(canary.id, sessionId) < canary.weight * 100;
    const share = canary.weight / 100;
    const config = configOf(index, inCanary ? canary.candidate : canary.baseline);
    const expectedShare = inCanary ? share : 1 - share;
    return { ...plain, arm: inCanary ? 'canary' : 'baseline', config, canaryId: canary.id, expectedShare };
  }
  if (experiment) {
    const treated = bucketOf(experiment.id, sessionId) < experiment.split * 10_000;
    const config = configOf(index, treated ? experiment.treatment : experiment.control);
    const expectedShare = treated ? experiment.split : 1 - experiment.split;
    return { ...plain, arm: treated ? 'treatment' : 'control', config, experimentId: experiment.id, expectedShare };
  }
  return plain;
}

function knownIntent(index: RoutingIndex, intent: string | null): string {
  return intent && index.knownIntents.has(intent) ? intent : OTHER_INTENT;
}

function configOf(index: RoutingIndex, id: string): ModelConfig {
  const config = index.configs.get(id);
  // The schema rejects dangling references, so this only fires on an unvalidated configuration.
  if (!config) throw new Error(`configuration "${id}" is referenced but not defined`);
  return config;
}
