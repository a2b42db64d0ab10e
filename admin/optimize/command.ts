import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { adminTarget } from '../cli-commands.ts';
import type { OptimizePlan } from './plan.ts';
import { renderPlan, renderStatus } from './render.ts';
import type { OptimizeStatus } from './status.ts';

/** The usage text of `npm run optimize`. */
export const OPTIMIZE_USAGE = `usage: npm run optimize -- [--apply] [--json] [--canary-plan plan.json]
       npm run optimize -- --status [--json]
Dry run by default: prints the plan (a canary in force -> recommended per intent with sufficient evidence).
--apply creates and starts those canaries and records the plan in the audit log; --status shows their progress.
Acts through the admin API of a running gateway, like npm run admin:
env: ADMIN_URL (default http://127.0.0.1:8080), ADMIN_TOKEN (default: $DATA_DIR/admin-token), DATA_DIR (default ./data)`;

function parse(argv: string[]) {
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        apply: { type: 'boolean', default: false },
        status: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        'canary-plan': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (values.status && (values.apply || values['canary-plan'])) return { error: '--status takes no --apply or --canary-plan' };
    return { values };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** Runs `npm run optimize` against the admin API; returns the exit code (2: bad arguments or environment, 1: refused). */
export async function runOptimize(argv: string[], env: Record<string, string | undefined>, out: (line: string) => void): Promise<number> {
  const parsed = parse(argv);
  if ('error' in parsed || parsed.values.help) {
    if ('error' in parsed) out(`optimize: ${parsed.error}`);
    out(OPTIMIZE_USAGE);
    return 'error' in parsed ? 2 : 0;
  }
  const o = parsed.values;
  let canaryPlan: unknown;
  if (o['canary-plan']) {
    try {
      canaryPlan = JSON.parse(readFileSync(o['canary-plan'], 'utf8'));
    } catch (err) {
      out(`optimize: --canary-plan ${o['canary-plan']}: ${(err as Error).message}`);
      return 2;
    }
  }
  const target = adminTarget(env, out);
  if (!target) return 2;
  const body = o.status ? undefined : JSON.stringify({ apply: o.apply, ...(canaryPlan === undefined ? {} : { canaryPlan }) });
  const res = await fetch(`${target.base}/optimize`, {
    method: o.status ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${target.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body,
  });
  const text = await res.text();
  if (!res.ok) {
    out(`optimize: ${res.status}: ${text}`);
    return 1;
  }
  const json = JSON.parse(text) as { status?: OptimizeStatus | null; plan?: OptimizePlan; applied?: boolean };
  if (o.json) out(JSON.stringify(json, null, 2));
  else if (o.status) for (const line of renderStatus(json.status ?? null)) out(line);
  else for (const line of renderPlan(json.plan!, json.applied === true)) out(line);
  return 0;
}
