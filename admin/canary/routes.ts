import type { Context } from 'hono';
import type { Logger } from '../../lib/log/interface.ts';
import type { Canary } from '../../schema/config.ts';
import type { ConfigStoreWithRecords } from '../../stores/config/interface.ts';
import { AdminError } from '../errors.ts';
import { readDocument } from '../mutate.ts';
import { param, type AdminEnv, type AdminRouter } from '../router.ts';
import { postWebhook, type WebhookPayload } from './notify.ts';
import { applyTransition, readDecisions, readState, stateFor, type ApplyContext, type StateAt } from './records.ts';
import { defaultPlan, StartBody, subjectOf, type CanaryPlan, type CanaryState, type Decision } from './schema.ts';
import { manualMove, startState, type ManualMove, type Transition } from './state-machine.ts';

/** What the canary controller routes need. */
export interface CanaryRouteDeps {
  store: ConfigStoreWithRecords;
  now: () => number;
  /** Webhook sender for moves by hand; defaults to `postWebhook` (not awaited). */
  notify?: (url: string, payload: WebhookPayload) => void;
  log?: (line: string) => void;
  /** Where each decision made by hand is logged as a structured line. */
  logger?: Logger;
}

async function canaryOf(deps: CanaryRouteDeps, id: string): Promise<Canary> {
  const { document } = await readDocument(deps.store);
  const canary = document.config.canaries.find((c) => c.id === id);
  if (!canary) throw new AdminError('not_found', `no canary "${id}"`);
  return canary;
}

/** The stored state of canary `id` as it is, whoever it belongs to. */
async function storedStateOf(deps: CanaryRouteDeps, id: string): Promise<StateAt | null> {
  const read = await readState(deps.store, id);
  if (!read.ok) throw new AdminError('store_unavailable', `controller state unavailable: ${read.message}`);
  return read.value;
}

/** The state of `canary`; null when never started, or when the stored state is an earlier canary's with the same id. */
async function stateOf(deps: CanaryRouteDeps, canary: Canary): Promise<StateAt | null> {
  return stateFor(await storedStateOf(deps, canary.id), canary);
}

/** The state shown for a canary the controller never started: pending at its configured weight. */
function notStarted(canary: Canary): CanaryState {
  return {
    status: 'pending',
    stageIndex: 0,
    stage: 'warmup',
    weight: canary.weight,
    stageStartedAt: 0,
    windowStartedAt: 0,
    updatedAt: 0,
    plan: defaultPlan(),
    reference: null,
  };
}

function publicState(state: CanaryState): Omit<CanaryState, 'reference'> {
  const { reference: _reference, ...rest } = state;
  return rest;
}

/** Records a transition for a request; a conflict or a failed write is an admin error. */
async function applyOrThrow(deps: CanaryRouteDeps, id: string, revision: number, t: Transition): Promise<void> {
  const ctx: ApplyContext = {
    store: deps.store,
    now: deps.now,
    log: deps.log ?? ((line) => console.error(line)),
    logger: deps.logger,
    notify: deps.notify ?? ((url, payload) => void postWebhook(url, payload, { log: deps.log })),
  };
  const applied = await applyTransition(ctx, id, revision, t);
  if (!applied.ok) {
    if (applied.conflict) throw new AdminError('conflict', `canary "${id}" moved meanwhile: read it again and retry`);
    throw new AdminError('store_unavailable', `controller state not written: ${applied.message}`);
  }
  if (!applied.value.effect.ok)
    throw new AdminError('store_unavailable', `decision recorded, configuration not changed yet: ${applied.value.effect.message}`);
}

async function record(deps: CanaryRouteDeps, c: Context<AdminEnv>, id: string, revision: number, t: Transition): Promise<Response> {
  await applyOrThrow(deps, id, revision, t);
  return c.json({ state: publicState(t.state), decision: t.decision satisfies Decision });
}

/**
 * Hands a canary of the configuration to the controller with `plan` (what `POST /canaries/:id/start` does):
 * refused (409) when it is stopped or already under way; `how` opens the start decision's reason.
 */
export async function startCanary(
  deps: CanaryRouteDeps,
  canary: Canary,
  plan: CanaryPlan,
  actor: string,
  how = 'started by hand',
): Promise<{ state: ReturnType<typeof publicState>; decision: Decision }> {
  const id = canary.id;
  if (canary.status === 'stopped') throw new AdminError('conflict', `canary "${id}" is stopped; create a new one instead`);
  const stored = await storedStateOf(deps, id);
  const at = stateFor(stored, canary);
  if (at && at.state.status !== 'rolled_back' && at.state.status !== 'completed')
    throw new AdminError('conflict', `canary "${id}" is already ${at.state.status}`);
  const state = startState(plan, deps.now(), subjectOf(canary));
  const decision: Decision = {
    at: state.updatedAt,
    stage: state.stage,
    weight: 0,
    action: 'start',
    actor,
    reason: `${how}: stages ${plan.stages.join(', ')}%, window ${plan.windowMs / 1000} s, warm-up ${plan.warmup.requests} requests`,
    figures: null,
  };
  // An earlier canary's state under the same id is overwritten at its revision.
  await applyOrThrow(deps, id, stored?.revision ?? 0, { state, decision, effect: { kind: 'weight', weight: 0 } });
  return { state: publicState(state), decision };
}

/** A canary with its controller state and every decision (the controller endpoint's body). */
async function timelineOf(deps: CanaryRouteDeps, canary: Canary) {
  const stored = await storedStateOf(deps, canary.id);
  const at = stateFor(stored, canary);
  // The log of an earlier canary with the same id is not this one's story until this one is started.
  const decisions = stored && !at ? { ok: true as const, value: [] } : await readDecisions(deps.store, canary.id);
  if (!decisions.ok) throw new AdminError('store_unavailable', `decisions unavailable: ${decisions.message}`);
  return { canary, started: at !== null, state: publicState(at?.state ?? notStarted(canary)), decisions: decisions.value };
}

/** Timelines of every canary in the configuration, for the dashboard. */
export async function canaryTimelines(deps: CanaryRouteDeps): Promise<unknown[]> {
  const { document } = await readDocument(deps.store);
  return Promise.all(document.config.canaries.map((canary) => timelineOf(deps, canary)));
}

/**
 * Canary controller endpoints: its state and decisions, and the moves by hand (start, pause, resume,
 * promote, rollback). A move the state does not allow is a 409; every move is audited.
 */
export function canaryControllerRoutes(router: AdminRouter, deps: CanaryRouteDeps): void {
  router.add({
    method: 'get',
    path: '/canaries/:id/controller',
    tag: 'canaries',
    summary: "A canary's controller state and every decision with the figures behind it",
    handler: async (c) => c.json(await timelineOf(deps, await canaryOf(deps, param(c, 'id')))),
  });
  router.add({
    method: 'post',
    path: '/canaries/:id/start',
    tag: 'canaries',
    body: StartBody,
    summary: 'Hand a canary to the controller with a plan (`{}` for the defaults): warm-up, then 5% -> 25% -> 50% -> 100% under the gates',
    handler: async (c, plan) => c.json(await startCanary(deps, await canaryOf(deps, param(c, 'id')), plan, c.var.actor)),
  });
  const moves: [ManualMove, string][] = [
    ['pause', 'Pause the controller on a canary: no more promotions or rollbacks by itself; the weight stays'],
    ['resume', 'Resume a paused canary: a fresh monitor window starts at its stage'],
    ['promote', 'Promote a canary to its next stage by hand (completes it after the last stage)'],
    ['rollback', 'Roll a canary back by hand: weight 0 at once, every session on the baseline'],
  ];
  for (const [move, summary] of moves) {
    router.add({
      method: 'post',
      path: `/canaries/:id/${move}`,
      tag: 'canaries',
      summary,
      handler: async (c) => {
        const id = param(c, 'id');
        const at = await stateOf(deps, await canaryOf(deps, id));
        if (!at) throw new AdminError('conflict', `canary "${id}" was never started: POST /canaries/${id}/start first`);
        const t = manualMove(at.state, move, c.var.actor, deps.now());
        if ('refused' in t) throw new AdminError('conflict', t.refused);
        return record(deps, c, id, at.revision, t);
      },
    });
  }
}

/**
 * Keeps the controller's state consistent with an abort through `POST /canaries/:id/abort`: a started,
 * still active canary (not an earlier one with the same id) is recorded as rolled back by `actor`.
 * Failures are logged, never thrown.
 */
export async function recordAbort(deps: CanaryRouteDeps, id: string, actor: string): Promise<void> {
  const log = deps.log ?? ((line: string) => console.error(line));
  const doc = await deps.store.read();
  const canary = doc.ok ? doc.value?.document.config.canaries.find((x) => x.id === id) : undefined;
  const read = await readState(deps.store, id);
  const at = canary && read.ok ? stateFor(read.value, canary) : null;
  if (!at) return;
  const t = manualMove(at.state, 'abort', actor, deps.now());
  if ('refused' in t) return;
  const ctx: ApplyContext = {
    store: deps.store,
    now: deps.now,
    log,
    logger: deps.logger,
    notify: deps.notify ?? ((url, payload) => void postWebhook(url, payload, { log })),
  };
  const applied = await applyTransition(ctx, id, at.revision, { ...t, effect: { kind: 'none' } }, { audit: false });
  if (!applied.ok) log(`canary ${id}: abort not recorded in the controller state: ${applied.message}`);
}
