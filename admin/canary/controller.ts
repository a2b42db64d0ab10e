import type { Logger } from '../../lib/log/interface.ts';
import type { Canary } from '../../schema/config.ts';
import type { ConfigStoreWithRecords } from '../../stores/config/interface.ts';
import { applyEffect } from './effects.ts';
import { leaseKeeper } from './lease.ts';
import type { CanaryMetrics } from './metrics.ts';
import { postWebhook, type WebhookPayload } from './notify.ts';
import { applyTransition, readState, stateFor, type ApplyContext, type StateAt } from './records.ts';
import { canaryKeys } from './schema.ts';
import {
  afterWarmup,
  manualMove,
  stepWindow,
  warmingState,
  warmupFailed,
  windowClosed,
  type ConfigEffect,
  type Transition,
} from './state-machine.ts';
import type { WarmupReport, WarmupRunner } from './warmup.ts';
import type { WindowSource } from './window-source.ts';

/** What the controller needs. */
export interface CanaryControllerOptions {
  store: ConfigStoreWithRecords;
  windows: WindowSource;
  /** Sends warm-up traffic; without one, warm-ups are skipped. */
  warmup?: WarmupRunner;
  /** This replica's id, the lease holder. */
  holder: string;
  /** Epoch ms; injected in tests. */
  now?: () => number;
  /** Lease time-to-live; another replica takes over this long after this one stops renewing. Default 15 s. */
  leaseTtlMs?: number;
  /** Tick period of `start()`. Default 1 s. */
  intervalMs?: number;
  metrics?: CanaryMetrics;
  /** Webhook sender; defaults to `postWebhook`. */
  notify?: (url: string, payload: WebhookPayload) => Promise<unknown>;
  log?: (line: string) => void;
  /** Where each decision is logged as a structured line. */
  logger?: Logger;
}

/** What one tick did. */
export interface TickReport {
  acting: boolean;
  transitions: { canary: string; action: string }[];
}

/** The running controller. */
export interface CanaryController {
  /** One pass: take or renew the lease, then move every started canary whose window closed. */
  tick(): Promise<TickReport>;
  start(): void;
  /**
   * Stops ticking, aborts a warm-up under way (recording nothing for it: the next holder runs it again), waits
   * for a tick under way and for pending webhooks, releases the lease, closes the window source. Idempotent.
   */
  stop(): Promise<void>;
  holder: string;
}

/** Builds a canary controller; only the replica holding the lease in the config store acts. */
export function createCanaryController(options: CanaryControllerOptions): CanaryController {
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => {});
  const ttlMs = options.leaseTtlMs ?? 15_000;
  const lease = leaseKeeper(options.store, { name: canaryKeys.lease, holder: options.holder, ttlMs, now, log });
  const pending = new Set<Promise<unknown>>();
  const stopping = new AbortController();
  const send = options.notify ?? ((url: string, payload: WebhookPayload) => postWebhook(url, payload, { log }));
  const ctx: ApplyContext = {
    store: options.store,
    now,
    log,
    logger: options.logger,
    notify: (url, payload) => {
      const p = send(url, payload)
        .catch(() => undefined)
        .finally(() => pending.delete(p));
      pending.add(p);
    },
  };

  async function commit(canary: Canary, at: StateAt, t: Transition, report: TickReport): Promise<StateAt | null> {
    const applied = await applyTransition(ctx, canary.id, at.revision, t);
    if (!applied.ok) {
      log(`canary ${canary.id}: ${applied.conflict ? 'moved by someone else meanwhile' : `state not written: ${applied.message}`}`);
      return null;
    }
    report.transitions.push({ canary: canary.id, action: t.decision.action });
    options.metrics?.observe(canary.id, t.state, t.decision.figures);
    return { revision: at.revision + 1, state: t.state };
  }

  /** Sends the warm-up while renewing the lease; null when it was stopped (or the lease lost) meanwhile. */
  async function sendWarmup(canary: Canary, at: StateAt, runner: WarmupRunner): Promise<WarmupReport | null> {
    const renew = setInterval(() => void lease.acquire(), Math.max(50, ttlMs / 3));
    try {
      const report = await runner(canary, at.state.plan.warmup, stopping.signal);
      if (stopping.signal.aborted) {
        // Requests cut by the stop say nothing about the candidate: leave the state warming for the next holder.
        log(`canary ${canary.id}: warm-up cut short by a stop; nothing recorded, the next holder runs it again`);
        return null;
      }
      return (await lease.acquire()) ? report : null;
    } catch (err) {
      if (stopping.signal.aborted) return null;
      throw err;
    } finally {
      clearInterval(renew);
    }
  }

  async function warm(canary: Canary, at: StateAt, report: TickReport): Promise<void> {
    const plan = at.state.plan;
    if (stopping.signal.aborted) return;
    if (plan.warmup.requests === 0 || !options.warmup) {
      const reason =
        plan.warmup.requests === 0
          ? 'no warm-up planned; live traffic starts'
          : 'warm-up skipped: this controller has no gateway to send it through';
      await commit(canary, at, afterWarmup(at.state, reason, now()), report);
      return;
    }
    const warming = await options.store.putRecord(canaryKeys.state(canary.id), warmingState(at.state, now()), at.revision);
    if (!warming.ok) return;
    at = { revision: warming.value, state: warmingState(at.state, now()) };
    const r = await sendWarmup(canary, at, options.warmup);
    if (!r) return;
    const done = `${r.sent} synthetic requests to ${canary.candidate} (${r.failed} failed, P95 ${r.p95LatencyMs === null ? 'n/a' : `${Math.round(r.p95LatencyMs)} ms`})`;
    const failedShare = r.sent > 0 ? r.failed / r.sent : 0;
    if (failedShare > plan.warmup.maxFailedShare) {
      const reason = `warm-up failed: ${done}; ${(failedShare * 100).toFixed(1)}% failed, above warmup.maxFailedShare ${(plan.warmup.maxFailedShare * 100).toFixed(1)}%: paused before live traffic (resume runs the warm-up again)`;
      await commit(canary, at, warmupFailed(at.state, reason, now()), report);
      return;
    }
    await commit(canary, at, afterWarmup(at.state, `warm-up done: ${done}`, now()), report);
  }

  /** Brings the routing configuration in line with the state after a failed change or an abort elsewhere. */
  async function reconcile(canary: Canary, at: StateAt, report: TickReport): Promise<StateAt | null> {
    const { state } = at;
    const active = state.status === 'running' || state.status === 'paused' || state.status === 'pending' || state.status === 'warming';
    if (active && canary.status === 'stopped') {
      const t = manualMove(state, 'abort', 'controller', now());
      if ('refused' in t) return at;
      return commit(
        canary,
        at,
        { ...t, decision: { ...t.decision, reason: 'the canary was stopped in the routing configuration' } },
        report,
      );
    }
    let effect: ConfigEffect = { kind: 'none' };
    if (state.status === 'running' && canary.weight !== state.weight) effect = { kind: 'weight', weight: state.weight };
    if (state.status === 'rolled_back' && (canary.status !== 'stopped' || canary.weight !== 0)) effect = { kind: 'rollback' };
    if (state.status === 'completed' && canary.status !== 'stopped') effect = { kind: 'complete' };
    if (effect.kind !== 'none') {
      const r = await applyEffect(options.store, canary.id, effect, { actor: 'canary-controller', now, action: 'canary-reconcile' });
      if (!r.ok) log(`canary ${canary.id}: reconcile failed: ${r.message}`);
    }
    return at;
  }

  async function step(canary: Canary, report: TickReport): Promise<void> {
    const read = await readState(options.store, canary.id);
    if (!read.ok) return log(`canary ${canary.id}: ${read.message}`);
    // Never started, or the state of an earlier canary with the same id: not this canary's to act on.
    const stored = stateFor(read.value, canary);
    if (!stored) return;
    const at = await reconcile(canary, stored, report);
    if (!at) return;
    options.metrics?.observe(canary.id, at.state, null);
    const { state } = at;
    if (state.status === 'pending' || state.status === 'warming') return warm(canary, at, report);
    if (!windowClosed(state, now())) return;
    const to = now();
    const figures = await options.windows.figures({ canaryId: canary.id, from: state.windowStartedAt, to });
    if (!figures.ok) return log(`canary ${canary.id}: window not readable, will retry: ${figures.message}`);
    await commit(canary, at, stepWindow(state, figures.value, to), report);
  }

  let running: Promise<TickReport> | null = null;
  async function tickOnce(): Promise<TickReport> {
    const report: TickReport = { acting: false, transitions: [] };
    if (!(await lease.acquire())) return report;
    report.acting = true;
    const doc = await options.store.read();
    if (!doc.ok || !doc.value) return report;
    for (const canary of doc.value.document.config.canaries) {
      try {
        await step(canary, report);
      } catch (err) {
        log(`canary ${canary.id}: tick failed: ${(err as Error).message}`);
      }
    }
    return report;
  }

  let timer: ReturnType<typeof setInterval> | null = null;
  let stopped: Promise<void> | null = null;
  const tick = (): Promise<TickReport> => (running ??= tickOnce().finally(() => (running = null)));
  return {
    holder: options.holder,
    tick,
    start() {
      timer ??= setInterval(() => void tick(), options.intervalMs ?? 1_000);
      timer.unref?.();
    },
    stop() {
      stopped ??= (async () => {
        if (timer) clearInterval(timer);
        timer = null;
        stopping.abort();
        await running;
        await Promise.all([...pending]);
        await lease.release();
        await options.windows.close();
      })();
      return stopped;
    },
  };
}
