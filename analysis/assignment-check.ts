import type { SplitChange } from './assignment-history.ts';
import type { AssignmentCounts } from './queries/assignment.ts';
import { periodSampleRatioMismatch, type PeriodSrmResult } from './stats/period-srm.ts';

/** Where a period's expected share came from, most trusted first. */
export type ShareSource = 'recorded' | 'history' | 'configuration';

/** One period of constant assignment as the report shows it. */
export interface CheckedPeriod {
  /** `version 12`, `since 2026-11-29T21:00:00.000Z (version 12)` or `configuration split`. */
  label: string;
  source: ShareSource;
  treatmentShare: number;
  control: number;
  treatment: number;
}

/** The sample-ratio check of one experiment, combined over its periods of constant assignment. */
export interface AssignmentSrm extends PeriodSrmResult {
  periods: CheckedPeriod[];
  /** Sessions whose expected share is known nowhere; left out of the test. */
  unknownSessions: number;
}

type Known = Omit<CheckedPeriod, 'control' | 'treatment'>;

const round = (x: number): number => Math.round(x * 1e12) / 1e12;

/**
 * The treatment share a group of sessions was randomised under: the share recorded at routing time; else the
 * split of the configuration version it names, or of the period its first request falls in, from the config
 * store's history; else the split in the configuration the analysis was given; null when none is known.
 */
function shareOf(c: AssignmentCounts, history: readonly SplitChange[], fallback: number | null): Known | null {
  if (c.expectedShare !== null) {
    const share = c.arm === 'treatment' ? c.expectedShare : 1 - c.expectedShare;
    return { label: `version ${c.configVersion ?? 'unknown'}`, source: 'recorded', treatmentShare: round(share) };
  }
  const byVersion = c.configVersion === null ? undefined : history.filter((h) => h.version <= c.configVersion!).at(-1);
  if (byVersion && byVersion.split !== null) {
    return { label: `version ${c.configVersion}`, source: 'history', treatmentShare: byVersion.split };
  }
  const byTime = c.period > 0 ? history[c.period - 1] : undefined;
  if (byTime && byTime.split !== null) {
    const label = `since ${new Date(byTime.time).toISOString()} (version ${byTime.version})`;
    return { label, source: 'history', treatmentShare: byTime.split };
  }
  return fallback === null ? null : { label: 'configuration split', source: 'configuration', treatmentShare: fallback };
}

/**
 * Sample-ratio check of an experiment from its sessions' first assignments. `history` is the split over time from
 * the config store (its change times are the boundaries the counts were numbered by); `fallback` is the split in
 * the configuration, used for sessions with neither a recorded share nor a known history. Null when no session's
 * share is known ("split unknown").
 */
export function assignmentSrm(
  counts: readonly AssignmentCounts[],
  history: readonly SplitChange[],
  fallback: number | null,
  threshold: number,
): AssignmentSrm | null {
  const periods = new Map<string, CheckedPeriod>();
  let unknownSessions = 0;
  for (const c of counts) {
    const known = shareOf(c, history, fallback);
    if (!known) {
      unknownSessions += c.sessions;
      continue;
    }
    const key = `${known.source}\u0000${known.label}\u0000${known.treatmentShare}`;
    const period = periods.get(key) ?? { ...known, control: 0, treatment: 0 };
    period[c.arm] += c.sessions;
    periods.set(key, period);
  }
  const list = [...periods.values()];
  const result = periodSampleRatioMismatch(list, threshold);
  return result ? { ...result, periods: list, unknownSessions } : null;
}

/** Boundaries (epoch ms) that number the periods of `history`, for `AnalysisSource.assignments`. */
export function historyBoundaries(history: readonly SplitChange[]): number[] {
  return history.map((h) => h.time);
}
