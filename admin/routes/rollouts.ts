import type { Canary, Experiment } from '../../schema/config.ts';
import { CanaryWeightBody, ConcludeBody, ExperimentPatch } from '../../schema/admin.ts';
import { AdminError } from '../errors.ts';
import { param, type AdminRouter } from '../router.ts';
import { findItem } from './collections.ts';
import { change, type AdminRouteDeps } from './shared.ts';

const EXPERIMENTS = { kind: 'experiments', key: 'id', noun: 'experiment' } as const;
const CANARIES = { kind: 'canaries', key: 'id', noun: 'canary' } as const;

function notStopped(kind: string, item: { id: string; status: string }): void {
  if (item.status === 'stopped') throw new AdminError('conflict', `${kind} "${item.id}" is stopped; create a new one instead`);
}

/** Experiment and canary moves: change split, pause, stop, conclude; set a canary's weight, abort it. */
export function rolloutRoutes(
  router: AdminRouter,
  deps: AdminRouteDeps,
  hooks: { afterCanaryAbort?: (id: string, actor: string) => Promise<void> } = {},
): void {
  router.add({
    method: 'patch',
    path: '/experiments/:id',
    tag: 'experiments',
    summary: 'Change the split and/or the status (running, paused, stopped) of an experiment',
    body: ExperimentPatch,
    handler: (c, body) => {
      const id = param(c, 'id');
      return change(deps, c, `experiments/${id}`, (draft) => {
        const experiment = findItem(draft, EXPERIMENTS, id) as Experiment;
        notStopped('experiment', experiment);
        const before = { ...experiment };
        if (body.split !== undefined) experiment.split = body.split;
        if (body.status !== undefined) experiment.status = body.status;
        return { action: 'update', resource: `experiments/${id}`, before, after: { ...experiment } };
      });
    },
  });
  router.add({
    method: 'post',
    path: '/experiments/:id/conclude',
    tag: 'experiments',
    summary:
      "Stop an experiment and make its winner the route's configuration for the experiment's intent (all intents that used the control, for a route-wide one)",
    body: ConcludeBody,
    handler: (c, body) => {
      const id = param(c, 'id');
      return change(deps, c, `experiments/${id}`, (draft) => {
        const experiment = findItem(draft, EXPERIMENTS, id) as Experiment;
        notStopped('experiment', experiment);
        if (body.winner !== experiment.control && body.winner !== experiment.treatment) {
          throw new AdminError(
            'invalid_request',
            `winner must be the control ("${experiment.control}") or the treatment ("${experiment.treatment}")`,
            [{ path: 'winner', message: 'not an arm of this experiment' }],
          );
        }
        const route = draft.config.routes.find((r) => r.name === experiment.route);
        if (!route) throw new AdminError('conflict', `route "${experiment.route}" of the experiment no longer exists`);
        const before = { experiment: { ...experiment }, route: structuredClone(route) };
        if (experiment.intent) route.table[experiment.intent] = body.winner;
        else {
          if (route.default === experiment.control) route.default = body.winner;
          for (const [intent, cfg] of Object.entries(route.table)) if (cfg === experiment.control) route.table[intent] = body.winner;
        }
        experiment.status = 'stopped';
        return {
          action: 'conclude',
          resource: `experiments/${id}`,
          before,
          after: { experiment: { ...experiment }, route: structuredClone(route), winner: body.winner },
        };
      });
    },
  });
  router.add({
    method: 'patch',
    path: '/canaries/:id',
    tag: 'canaries',
    summary: 'Set the weight (percent of sessions on the candidate) of a canary',
    body: CanaryWeightBody,
    handler: (c, body) => {
      const id = param(c, 'id');
      return change(deps, c, `canaries/${id}`, (draft) => {
        const canary = findItem(draft, CANARIES, id) as Canary;
        notStopped('canary', canary);
        const before = { ...canary };
        canary.weight = body.weight;
        return { action: 'set-weight', resource: `canaries/${id}`, before, after: { ...canary } };
      });
    },
  });
  router.add({
    method: 'post',
    path: '/canaries/:id/abort',
    tag: 'canaries',
    summary: 'Abort a canary: every session goes back to the baseline',
    handler: async (c) => {
      const id = param(c, 'id');
      const response = await change(deps, c, `canaries/${id}`, (draft) => {
        const canary = findItem(draft, CANARIES, id) as Canary;
        notStopped('canary', canary);
        const before = { ...canary };
        canary.weight = 0;
        canary.status = 'stopped';
        return { action: 'abort', resource: `canaries/${id}`, before, after: { ...canary } };
      });
      await hooks.afterCanaryAbort?.(id, c.var.actor);
      return response;
    },
  });
}
