import type { Canary } from '../../schema/config.ts';
import { startCanary, type CanaryRouteDeps } from '../canary/routes.ts';
import { AdminError } from '../errors.ts';
import { mutate } from '../mutate.ts';
import type { CanaryStep, OptimizePlan } from './plan.ts';

/** The audit action under which an applied plan is recorded (resource `optimize/<route>`). */
export const OPTIMIZE_ACTION = 'optimize-apply';

/** A canary the plan created and handed to the controller. */
export interface StartedCanary {
  canaryId: string;
  intent: string;
  status: string;
}

function canaryOf(step: CanaryStep): Canary {
  return {
    id: step.canaryId,
    route: step.route,
    intent: step.intent,
    baseline: step.baseline,
    candidate: step.candidate,
    weight: 0,
    status: 'running',
  };
}

/**
 * Applies a plan: one audited change (action `optimize-apply`, the whole plan as its `after`) creates every
 * proposed canary at weight 0, validated like any admin change; then each is started with the plan's canary plan
 * through the same code as `POST /canaries/:id/start`, so the controller runs it under its gates.
 * Refused (409, nothing changed) when the configuration moved since the plan was made: an intent's
 * configuration changed, or an experiment or canary now covers it. A plan with no canary to start (e.g. a second
 * apply) records nothing, so `GET /optimize` keeps reporting the last plan that started canaries.
 */
export async function applyPlan(deps: CanaryRouteDeps, plan: OptimizePlan, actor: string): Promise<StartedCanary[]> {
  const steps = plan.steps.filter((s): s is CanaryStep => s.action === 'canary');
  // Nothing to start changes nothing: recording it would make `--status` lose the last plan that did start canaries.
  if (!steps.length) return [];
  await mutate(deps.store, { actor, ifMatch: undefined, resource: `optimize/${plan.route}`, now: deps.now }, (draft) => {
    const route = draft.config.routes.find((r) => r.name === plan.route);
    if (!route) throw new AdminError('conflict', `route "${plan.route}" no longer exists: run optimize again`);
    for (const step of steps) {
      const current = route.table[step.intent] ?? route.default;
      if (current !== step.baseline)
        throw new AdminError('conflict', `${plan.route}/${step.intent} is now on ${current}, not ${step.baseline}: run optimize again`);
      const covering = [...draft.config.experiments, ...draft.config.canaries].find(
        (r) => r.route === plan.route && r.status !== 'stopped' && (r.intent === undefined || r.intent === step.intent),
      );
      if (covering) throw new AdminError('conflict', `"${covering.id}" now covers ${plan.route}/${step.intent}: run optimize again`);
      if ([...draft.config.experiments, ...draft.config.canaries].some((r) => r.id === step.canaryId))
        throw new AdminError('conflict', `id "${step.canaryId}" is taken meanwhile: run optimize again`);
      draft.config.canaries.push(canaryOf(step));
    }
    return { action: OPTIMIZE_ACTION, resource: `optimize/${plan.route}`, before: null, after: plan };
  });
  const started: StartedCanary[] = [];
  for (const step of steps) {
    const how = `started by optimize on ${step.startRestsOn === 'live' ? 'live evidence' : 'an offline prior'}`;
    const { state } = await startCanary(deps, canaryOf(step), plan.canaryPlan, actor, how);
    started.push({ canaryId: step.canaryId, intent: step.intent, status: state.status });
  }
  return started;
}
