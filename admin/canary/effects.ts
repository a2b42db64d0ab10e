import type { Canary } from '../../schema/config.ts';
import type { ConfigStore } from '../../stores/config/interface.ts';
import { AdminError } from '../errors.ts';
import { mutate } from '../mutate.ts';
import type { ConfigEffect } from './state-machine.ts';

/** Who makes a change, and how it is audited. */
export interface EffectAudit {
  actor: string;
  now: () => number;
  /** Audit action; `canary-<effect>` by default. */
  action?: string;
  /** Commit an audit entry even when the configuration already agrees (moves by hand). */
  always?: boolean;
}

/** Outcome of a configuration change; failures are values. */
export type EffectResult = { ok: true; changed: boolean } | { ok: false; message: string };

function completeRoute(draft: Parameters<Parameters<typeof mutate>[2]>[0], canary: Canary): void {
  const route = draft.config.routes.find((r) => r.name === canary.route);
  if (!route) throw new AdminError('conflict', `route "${canary.route}" of the canary no longer exists`);
  if (canary.intent) route.table[canary.intent] = canary.candidate;
  else {
    if (route.default === canary.baseline) route.default = canary.candidate;
    for (const [intent, cfg] of Object.entries(route.table)) if (cfg === canary.baseline) route.table[intent] = canary.candidate;
  }
}

/**
 * Applies a transition's effect to the canary in the routing configuration, as a validated, versioned and
 * audited change by `actor`. Does nothing (and commits nothing) when the configuration already agrees.
 */
export async function applyEffect(store: ConfigStore, canaryId: string, effect: ConfigEffect, audit: EffectAudit): Promise<EffectResult> {
  if (effect.kind === 'none' && !audit.always) return { ok: true, changed: false };
  const resource = `canaries/${canaryId}`;
  const { actor, now } = audit;
  let changed = false;
  try {
    const read = await store.read();
    const current = read.ok ? read.value?.document.config.canaries.find((c) => c.id === canaryId) : undefined;
    if (current && !audit.always && alreadyApplied(current, effect)) return { ok: true, changed: false };
    await mutate(store, { actor, ifMatch: undefined, resource, now }, (draft) => {
      const canary = draft.config.canaries.find((c) => c.id === canaryId);
      if (!canary) throw new AdminError('not_found', `no canary "${canaryId}"`);
      const before = { ...canary };
      if (effect.kind === 'none') {
        // An audit-only entry: a move by hand that changes no routing.
      } else if (effect.kind === 'weight') {
        if (canary.status === 'stopped') throw new AdminError('conflict', `canary "${canaryId}" is stopped`);
        canary.weight = effect.weight;
        canary.status = 'running';
      } else if (effect.kind === 'rollback') {
        canary.weight = 0;
        canary.status = 'stopped';
      } else {
        completeRoute(draft, canary);
        canary.weight = 100;
        canary.status = 'stopped';
      }
      changed = effect.kind !== 'none';
      return {
        action: audit.action ?? `canary-${effect.kind === 'weight' ? 'set-weight' : effect.kind}`,
        resource,
        before,
        after: { ...canary },
      };
    });
    return { ok: true, changed };
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
}

function alreadyApplied(canary: Canary, effect: ConfigEffect): boolean {
  switch (effect.kind) {
    case 'weight':
      return canary.status === 'running' && canary.weight === effect.weight;
    case 'rollback':
      return canary.status === 'stopped' && canary.weight === 0;
    case 'complete':
      return canary.status === 'stopped' && canary.weight === 100;
    default:
      return true;
  }
}
