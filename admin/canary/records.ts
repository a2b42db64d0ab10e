import type { Logger } from '../../lib/log/interface.ts';
import type { ConfigStoreWithRecords } from '../../stores/config/interface.ts';
import { applyEffect, type EffectResult } from './effects.ts';
import type { WebhookPayload } from './notify.ts';
import type { Canary } from '../../schema/config.ts';
import { canaryKeys, CanaryState, Decision, stateMatches } from './schema.ts';
import type { Transition } from './state-machine.ts';

/** A canary's controller state with the revision it was read at. */
export interface StateAt {
  revision: number;
  state: CanaryState;
}

/** Outcome of a record read or write; failures are values. */
export type RecordResult<T> = { ok: true; value: T } | { ok: false; conflict: boolean; message: string };

/** Reads a canary's controller state; null when it was never started. */
export async function readState(store: ConfigStoreWithRecords, canaryId: string): Promise<RecordResult<StateAt | null>> {
  const read = await store.getRecord(canaryKeys.state(canaryId));
  if (!read.ok) return { ok: false, conflict: false, message: read.error.message };
  if (!read.value) return { ok: true, value: null };
  const parsed = CanaryState.safeParse(read.value.value);
  if (!parsed.success)
    return { ok: false, conflict: false, message: `stored state of canary "${canaryId}" is invalid: ${parsed.error.message}` };
  return { ok: true, value: { revision: read.value.revision, state: parsed.data } };
}

/**
 * The state as it applies to `canary`: null when the stored state belongs to an earlier canary with the same
 * id (another route, intent, baseline or candidate). Such a state is left in place, to be overwritten by the
 * next start at its revision.
 */
export function stateFor(at: StateAt | null, canary: Canary): StateAt | null {
  return at && stateMatches(at.state, canary) ? at : null;
}

/** A canary's recorded decisions, oldest first (invalid entries are skipped). */
export async function readDecisions(store: ConfigStoreWithRecords, canaryId: string, limit = 10_000): Promise<RecordResult<Decision[]>> {
  const read = await store.readLog(canaryKeys.decisions(canaryId), { limit });
  if (!read.ok) return { ok: false, conflict: false, message: read.error.message };
  return {
    ok: true,
    value: read.value.flatMap((e) => {
      const d = Decision.safeParse(e.entry);
      return d.success ? [d.data] : [];
    }),
  };
}

/** What applying a transition needs. */
export interface ApplyContext {
  store: ConfigStoreWithRecords;
  now: () => number;
  /** Sends a webhook for a decision (not awaited by the caller of `applyTransition`). */
  notify?: (url: string, payload: WebhookPayload) => void;
  log: (line: string) => void;
  /** Where each recorded decision is logged (holds at debug level). */
  logger?: Logger;
}

/**
 * Records a transition: the state by compare-and-set on `revision` (a conflict means someone else moved the
 * canary first, and nothing else happens), then the decision, then the configuration change, then the
 * webhook (with `effectApplied` telling whether that change went through). A failed configuration change is
 * logged; the controller reconciles it on its next tick.
 */
export async function applyTransition(
  ctx: ApplyContext,
  canaryId: string,
  revision: number,
  t: Transition,
  options: { audit?: boolean } = {},
): Promise<RecordResult<{ effect: EffectResult }>> {
  const put = await ctx.store.putRecord(canaryKeys.state(canaryId), t.state, revision);
  if (!put.ok) return { ok: false, conflict: put.error.kind === 'conflict', message: put.error.message };
  logDecision(ctx.logger, canaryId, t.decision);
  const logged = await ctx.store.appendLog(canaryKeys.decisions(canaryId), t.decision);
  if (!logged.ok) ctx.log(`canary ${canaryId}: decision not recorded: ${logged.error.message}`);
  const byHand = t.decision.actor !== 'controller';
  const effect = await applyEffect(ctx.store, canaryId, t.effect, {
    actor: byHand ? t.decision.actor : 'canary-controller',
    now: ctx.now,
    action: `canary-${t.decision.action}`,
    always: byHand && options.audit !== false,
  });
  if (!effect.ok) ctx.log(`canary ${canaryId}: configuration change failed (will retry): ${effect.message}`);
  const url = t.state.plan.webhookUrl;
  if (url && t.decision.action !== 'hold' && ctx.notify) {
    const d = t.decision;
    ctx.notify(url, {
      canary: canaryId,
      action: d.action,
      stage: d.stage,
      weight: d.weight,
      reason: d.reason,
      figures: d.figures,
      at: d.at,
      effectApplied: effect.ok,
    });
  }
  return { ok: true, value: { effect } };
}

/** One line per decision of the controller or a person: canary id, action, stage, weight, who and why. */
function logDecision(logger: Logger | undefined, canaryId: string, d: Decision): void {
  const fields = { canary: canaryId, action: d.action, stage: d.stage, weight: d.weight, actor: d.actor, reason: d.reason };
  if (d.action === 'hold') logger?.debug('canary decision', fields);
  else if (d.action === 'rollback' || d.action === 'abort' || d.action === 'timeout') logger?.warn('canary decision', fields);
  else logger?.info('canary decision', fields);
}
