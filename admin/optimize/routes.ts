import { z } from 'zod';
import type { AnalysisReport } from '../../analysis/report/build.ts';
import type { AuditEntry } from '../../schema/admin.ts';
import type { GatewayConfig } from '../../schema/config.ts';
import { readAuditLog } from '../../stores/config/current.ts';
import { readDecisions, readState } from '../canary/records.ts';
import type { CanaryRouteDeps } from '../canary/routes.ts';
import { CanaryPlan, defaultPlan } from '../canary/schema.ts';
import { AdminError } from '../errors.ts';
import { readDocument } from '../mutate.ts';
import type { AdminRouter } from '../router.ts';
import { applyPlan, OPTIMIZE_ACTION } from './apply.ts';
import type { OfflineReport } from './offline.ts';
import { planOptimization, type OptimizePlan } from './plan.ts';
import { buildStatus, type CanaryRecord, type OptimizeStatus } from './status.ts';

/** Where the optimiser gets its evidence: the analysis of live observations and the offline evaluation. */
export interface OptimizeSource {
  /** Runs the analysis on the live observations against the configuration in force (and its audit log). */
  analyse(config: GatewayConfig, audit: AuditEntry[]): Promise<AnalysisReport>;
  /** The newest offline evaluation report, or null when there is none. */
  offline(): Promise<OfflineReport | null>;
}

/** Body of `POST /optimize`: dry run unless `apply`; `canaryPlan` overrides the default plan of the canaries. */
export const OptimizeBody = z.strictObject({
  apply: z.boolean().default(false),
  canaryPlan: CanaryPlan.optional(),
});

const AppliedPlan = z.looseObject({
  route: z.string(),
  dailyVolume: z.number(),
  daysPerMonth: z.number(),
  projectedMonthlySavingUsd: z.number(),
  steps: z.array(z.looseObject({ action: z.enum(['canary', 'skip']) })),
});

async function evidence(deps: CanaryRouteDeps, source: OptimizeSource, config: GatewayConfig) {
  const audit = await auditOf(deps);
  try {
    const report = await source.analyse(config, audit);
    return { report, offline: await source.offline() };
  } catch (err) {
    throw new AdminError('store_unavailable', `analysis failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

async function auditOf(deps: CanaryRouteDeps): Promise<AuditEntry[]> {
  try {
    return await readAuditLog(deps.store);
  } catch (err) {
    throw new AdminError('store_unavailable', (err as Error).message);
  }
}

/** The progress of the last plan applied on this store, or null when none was. */
export async function optimizeStatus(deps: CanaryRouteDeps): Promise<OptimizeStatus | null> {
  const entry = (await auditOf(deps)).findLast((e) => e.action === OPTIMIZE_ACTION);
  if (!entry) return null;
  const parsed = AppliedPlan.safeParse(entry.after);
  if (!parsed.success) throw new AdminError('internal', `audit entry ${entry.version} does not hold an optimize plan`);
  const plan = parsed.data as unknown as OptimizePlan;
  const { document } = await readDocument(deps.store);
  const records = new Map<string, CanaryRecord>();
  for (const step of plan.steps) {
    if (step.action !== 'canary') continue;
    const [state, decisions] = await Promise.all([readState(deps.store, step.canaryId), readDecisions(deps.store, step.canaryId)]);
    if (!state.ok || !decisions.ok)
      throw new AdminError(
        'store_unavailable',
        `controller records unavailable: ${state.ok ? '' : state.message}${decisions.ok ? '' : decisions.message}`,
      );
    const canary = document.config.canaries.find((c) => c.id === step.canaryId) ?? null;
    records.set(step.canaryId, { canary, state: state.value?.state ?? null, decisions: decisions.value });
  }
  return buildStatus({ plan, time: entry.time, actor: entry.actor, version: entry.version }, records);
}

/**
 * `POST /optimize` (plan, and with `apply` create and start the canaries) and `GET /optimize` (progress of the
 * last applied plan).
 */
export function optimizeRoutes(router: AdminRouter, deps: CanaryRouteDeps, source: OptimizeSource): void {
  router.add({
    method: 'post',
    path: '/optimize',
    tag: 'optimize',
    body: OptimizeBody,
    summary:
      'Plan a canary (in force -> recommended) for every intent whose recommendation differs with sufficient evidence; `apply: true` creates and starts them and records the plan in the audit log',
    handler: async (c, body) => {
      const { document } = await readDocument(deps.store);
      const { report, offline } = await evidence(deps, source, document.config);
      if (!report.recommendation) throw new AdminError('conflict', 'nothing to optimise: the analysis found no live observations');
      const plan = planOptimization({
        recommendation: report.recommendation,
        rows: report.intents,
        settings: report.settings,
        config: document.config,
        offline,
        canaryPlan: body.canaryPlan ?? defaultPlan(),
        now: deps.now(),
      });
      if (!body.apply) return c.json({ applied: false, plan, started: [] });
      const started = await applyPlan(deps, plan, c.var.actor);
      return c.json({ applied: true, plan, started });
    },
  });
  router.add({
    method: 'get',
    path: '/optimize',
    tag: 'optimize',
    summary:
      'Progress of the last applied optimize plan: per intent the canary stage and gates, what shipped, what rolled back, saving realised vs projected',
    handler: async (c) => c.json({ status: await optimizeStatus(deps) }),
  });
}
