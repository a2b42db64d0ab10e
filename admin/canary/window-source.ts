import type { RatioSums } from '../../analysis/stats/ratio.ts';
import type { ArmWindow, WindowFigures } from './gates.ts';
import { p95WithBounds } from './quantile.ts';
import { percentileOfSorted } from '../../analysis/stats/nearest-rank.ts';

/** Which window of which canary. */
export interface WindowQuery {
  canaryId: string;
  /** Epoch ms, inclusive. */
  from: number;
  /** Epoch ms, exclusive. */
  to: number;
}

/** Outcome of a window read; an unreadable source is a value, never an exception. */
export type WindowResult = { ok: true; value: WindowFigures } | { ok: false; message: string };

/** Port: candidate and baseline figures of a canary in `[from, to)`, from live traffic only. */
export interface WindowSource {
  figures(query: WindowQuery): Promise<WindowResult>;
  close(): Promise<void>;
}

/** One live request of a canary arm, as a window source reads it. */
export interface WindowRow {
  arm: 'canary' | 'baseline';
  sessionId: string | null;
  failed: boolean;
  latencyMs: number;
  costUsd: number | null;
  /** The quality score in force for the request; null when never scored (failed, or answered by a fallback). */
  quality: number | null;
}

/** Nearest-rank percentile of unsorted values (`p` in 0..1); null for none. */
export function nearestRank(values: number[], p: number): number | null {
  return percentileOfSorted(
    [...values].sort((a, b) => a - b),
    Math.round(p * 100),
  );
}

function armFigures(rows: WindowRow[]): ArmWindow {
  const ok = rows.filter((r) => !r.failed);
  const sessions = new Set(rows.map((r) => r.sessionId ?? '')).size;
  const perSession = new Map<string, { y: number; n: number }>();
  for (const r of ok) {
    if (r.quality === null) continue;
    const s = perSession.get(r.sessionId ?? '') ?? { y: 0, n: 0 };
    s.y += r.quality;
    s.n += 1;
    perSession.set(r.sessionId ?? '', s);
  }
  let sums: RatioSums | null = null;
  for (const { y, n } of perSession.values()) {
    sums ??= { sessions: 0, sumY: 0, sumN: 0, sumYY: 0, sumNN: 0, sumYN: 0 };
    sums.sessions += 1;
    sums.sumY += y;
    sums.sumN += n;
    sums.sumYY += y * y;
    sums.sumNN += n * n;
    sums.sumYN += y * n;
  }
  const errors = rows.length - ok.length;
  const p95 = p95WithBounds(ok.map((r) => r.latencyMs).sort((x, y) => x - y));
  const cost = ok.reduce((s, r) => s + (r.costUsd ?? 0), 0);
  const costSq = ok.reduce((s, r) => s + (r.costUsd ?? 0) ** 2, 0);
  return {
    figures: {
      requests: rows.length,
      scored: sums?.sumN ?? 0,
      quality: sums ? sums.sumY / sums.sumN : null,
      p95LatencyMs: p95?.p95 ?? null,
      errorRate: rows.length ? errors / rows.length : null,
      costPerRequest: ok.length ? cost / ok.length : null,
    },
    sessions,
    errors,
    sums,
    p95Bounds: p95 && { lower: p95.lower, upper: p95.upper },
    costSumSq: ok.length ? costSq : null,
  };
}

/** Candidate and baseline figures of a window's rows: P95 by nearest rank (with bounds) over successful requests. */
export function figuresOfRows(rows: WindowRow[]): WindowFigures {
  return { candidate: armFigures(rows.filter((r) => r.arm === 'canary')), baseline: armFigures(rows.filter((r) => r.arm === 'baseline')) };
}

/** A window source over rows held in memory (tests). */
export function memoryWindowSource(rows: () => (WindowRow & { canaryId: string; time: number })[]): WindowSource {
  return {
    figures: async (q) => ({
      ok: true,
      value: figuresOfRows(rows().filter((r) => r.canaryId === q.canaryId && r.time >= q.from && r.time < q.to)),
    }),
    close: async () => {},
  };
}
