import { z } from 'zod';
import type { AuditEntry } from '../schema/admin.ts';

/** From `time` (the audited commit, epoch ms) on, the experiment ran with `split`; null: not running (or gone). */
export interface SplitChange {
  version: number;
  time: number;
  split: number | null;
}

const ExperimentState = z.object({ id: z.string(), split: z.number().min(0).max(1), status: z.string().optional() });
const WithExperiments = z.object({ experiments: z.array(z.unknown()) });
const Concluded = z.object({ experiment: z.unknown() });

function splitOf(value: unknown): number | null {
  const parsed = ExperimentState.safeParse(value);
  if (!parsed.success) return null;
  return (parsed.data.status ?? 'running') === 'running' ? parsed.data.split : null;
}

/** What one audit entry says about the experiment's split; undefined when the entry does not touch it. */
function splitAfter(entry: AuditEntry, experimentId: string): number | null | undefined {
  if (entry.resource === `experiments/${experimentId}`) {
    const concluded = Concluded.safeParse(entry.after);
    return splitOf(concluded.success ? concluded.data.experiment : entry.after);
  }
  // A whole configuration (the seed from the file) or document lists every experiment.
  const whole = WithExperiments.safeParse(entry.after);
  const config = whole.success ? whole.data : WithExperiments.safeParse((entry.after as { config?: unknown } | null)?.config).data;
  if (!config) return undefined;
  return splitOf(config.experiments.find((e) => ExperimentState.safeParse(e).data?.id === experimentId));
}

/**
 * The experiment's split over time from the config store's audit log (oldest first): one change per audited
 * commit that altered it, including starts, pauses and deletions (split null). Empty when the log never names it.
 * Pure; the gateway applies a commit within its poll interval (under a second by default), so a session first
 * seen in that interval after a change may be attributed to the previous split.
 */
export function splitHistory(audit: readonly AuditEntry[], experimentId: string): SplitChange[] {
  const changes: SplitChange[] = [];
  for (const entry of [...audit].sort((a, b) => a.version - b.version)) {
    const split = splitAfter(entry, experimentId);
    if (split === undefined) continue;
    const last = changes[changes.length - 1];
    if (last && last.split === split) continue;
    if (!last && split === null) continue;
    changes.push({ version: entry.version, time: entry.time, split });
  }
  return changes;
}
