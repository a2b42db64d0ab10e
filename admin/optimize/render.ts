import type { ArmEvidence } from './offline.ts';
import type { OptimizePlan } from './plan.ts';
import type { OptimizeStatus } from './status.ts';

const usd = (x: number | null): string => (x === null ? 'unknown' : `${x < 0 ? '-' : ''}$${Math.abs(x).toFixed(2)}`);
const pct = (x: number | null): string => (x === null ? 'n/a' : `${(x * 100).toFixed(1)}%`);

function arm(label: string, e: ArmEvidence | null): string {
  if (!e) return `${label}: no data`;
  const q = e.meanQuality === null ? 'n/a' : e.meanQuality.toFixed(3);
  const cost = e.costPerRequest === null ? 'n/a' : `$${e.costPerRequest.toFixed(5)}`;
  const p95 = e.p95LatencyMs === null ? 'n/a' : `${Math.round(e.p95LatencyMs)} ms`;
  return `${label}: ${e.configId} n=${e.requests} scored=${e.scored} quality=${q} pass=${pct(e.passRate)} errors=${pct(e.errorRate)} P95=${p95} cost/request=${cost}`;
}

/** The plan as text: minimums, one block per proposed canary with its evidence, one line per skipped intent. */
export function renderPlan(plan: OptimizePlan, applied: boolean): string[] {
  const m = plan.minimums;
  const lines = [
    `optimize plan for route ${plan.route} (${applied ? 'APPLIED' : 'dry run: nothing changed; --apply to start the canaries'})`,
    `decision rules: >= ${m.minScored} scored requests per configuration, pass rate >= ${pct(m.minPassRate)} at quality >= ${m.qualityGate}, P95 <= ${m.maxP95LatencyMs} ms`,
    `projection: ${plan.dailyVolume} requests/day x ${plan.daysPerMonth} days; canary stages ${plan.canaryPlan.stages.join(' -> ')}% (window ${plan.canaryPlan.windowMs / 1000} s, warm-up ${plan.canaryPlan.warmup.requests})`,
    '',
  ];
  for (const s of plan.steps) {
    if (s.action === 'skip') {
      lines.push(`  ${s.intent}: keep ${s.current} [${s.code}] ${s.reason}`);
      continue;
    }
    lines.push(
      `  ${s.intent}: canary ${s.canaryId} ${s.baseline} -> ${s.candidate}, saving ${usd(s.monthlySavingUsd)}/month (${s.savingFrom ?? 'no'} costs)`,
    );
    lines.push(`    start rests on: ${s.startRestsOn}; promotion rests on: ${s.promotionRestsOn}`);
    lines.push(`    ${s.reason}`);
    lines.push(`    live ${arm('baseline', s.evidence.live.baseline)}`);
    lines.push(`    live ${arm('candidate', s.evidence.live.candidate)}`);
    if (s.evidence.offline) {
      lines.push(`    offline (run ${s.evidence.offline.runId}) ${arm('baseline', s.evidence.offline.baseline)}`);
      lines.push(`    offline (run ${s.evidence.offline.runId}) ${arm('candidate', s.evidence.offline.candidate)}`);
    }
  }
  const n = plan.steps.filter((s) => s.action === 'canary').length;
  lines.push('', `${n} canar${n === 1 ? 'y' : 'ies'} proposed; projected saving ${usd(plan.projectedMonthlySavingUsd)}/month`);
  return lines;
}

/** The progress of an applied plan as text: per intent stage and last decision, then what shipped and what rolled back. */
export function renderStatus(status: OptimizeStatus | null): string[] {
  if (!status) return ['no optimize plan was applied on this config store yet (npm run optimize -- --apply)'];
  const lines = [
    `optimize plan applied ${status.appliedAt} by ${status.appliedBy} (audit version ${status.auditVersion}) on route ${status.route}`,
    '',
  ];
  for (const i of status.intents) {
    const where = i.status === null ? 'not started' : `${i.status} at ${i.stage}, weight ${i.weight}%`;
    lines.push(`  ${i.intent}: ${i.canaryId} ${i.baseline} -> ${i.candidate} [${i.outcome}] ${where} (started on ${i.startRestsOn})`);
    if (i.lastDecision) lines.push(`    last decision: ${i.lastDecision.action} at ${i.lastDecision.stage}: ${i.lastDecision.reason}`);
    if (i.figures) {
      const f = i.figures;
      const side = (a: typeof f.candidate) =>
        `n=${a.requests} quality=${a.quality?.toFixed(3) ?? 'n/a'} errors=${pct(a.errorRate)} P95=${a.p95LatencyMs === null ? 'n/a' : Math.round(a.p95LatencyMs)} cost/request=${a.costPerRequest === null ? 'n/a' : `$${a.costPerRequest.toFixed(5)}`}`;
      lines.push(`    gates: candidate ${side(f.candidate)}; baseline ${side(f.baseline)}`);
    }
    lines.push(`    saving: realised ${usd(i.realisedMonthlySavingUsd)}/month vs projected ${usd(i.projectedMonthlySavingUsd)}/month`);
  }
  const list = (xs: string[]) => (xs.length ? xs.join(', ') : 'none');
  lines.push(
    '',
    `shipped: ${list(status.shipped)}`,
    `rolled back: ${list(status.rolledBack)}`,
    `in progress: ${list(status.inProgress)}`,
    `saving realised so far ${usd(status.realisedMonthlySavingUsd)}/month vs projected ${usd(status.projectedMonthlySavingUsd)}/month`,
  );
  return lines;
}
