import type { RatioSums } from '../../analysis/stats/ratio.ts';
import type { Observation } from '../../schema/observation.ts';
import type { DynamoObservationStore } from '../../stores/observations/dynamodb.ts';
import type { ArmWindow, WindowFigures } from './gates.ts';
import { p95WithBounds } from './quantile.ts';
import type { WindowQuery, WindowSource } from './window-source.ts';

/** Options of the DynamoDB window source. */
export interface DynamoWindowSourceOptions {
  /** Items per Query page of the canary partition. Default 1,000. */
  pageSize?: number;
  /** Feedback Queries (one per successful request, for its quality score) in flight at most. Default 16. */
  concurrency?: number;
}

/**
 * One arm's running sums over a window's requests, taken in the order they are read. The same operations in the same
 * order as `figuresOfRows` (window-source.ts), so the figures are identical to it over the same rows; it holds the
 * successful requests' latencies (for the P95 and its bounds) and one entry per scored session, nothing per request.
 */
class ArmSums {
  private requests = 0;
  private errors = 0;
  private succeeded = 0;
  private cost = 0;
  private costSq = 0;
  private readonly sessions = new Set<string>();
  private readonly perSession = new Map<string, { y: number; n: number }>();
  private readonly latencies: number[] = [];

  add(o: Observation, quality: number | null): void {
    this.requests += 1;
    this.sessions.add(o.sessionId ?? '');
    if (o.errorCode !== null) {
      this.errors += 1;
      return;
    }
    this.succeeded += 1;
    this.cost += o.costUsd ?? 0;
    this.costSq += (o.costUsd ?? 0) ** 2;
    this.latencies.push(o.latencyMs);
    if (quality === null) return;
    const s = this.perSession.get(o.sessionId ?? '') ?? { y: 0, n: 0 };
    s.y += quality;
    s.n += 1;
    this.perSession.set(o.sessionId ?? '', s);
  }

  window(): ArmWindow {
    let sums: RatioSums | null = null;
    for (const { y, n } of this.perSession.values()) {
      sums ??= { sessions: 0, sumY: 0, sumN: 0, sumYY: 0, sumNN: 0, sumYN: 0 };
      sums.sessions += 1;
      sums.sumY += y;
      sums.sumN += n;
      sums.sumYY += y * y;
      sums.sumNN += n * n;
      sums.sumYN += y * n;
    }
    const p95 = p95WithBounds(this.latencies.sort((x, y) => x - y));
    const { requests, errors, succeeded } = this;
    return {
      figures: {
        requests,
        scored: sums?.sumN ?? 0,
        quality: sums ? sums.sumY / sums.sumN : null,
        p95LatencyMs: p95?.p95 ?? null,
        errorRate: requests ? errors / requests : null,
        costPerRequest: succeeded ? this.cost / succeeded : null,
      },
      sessions: this.sessions.size,
      errors,
      sums,
      p95Bounds: p95 && { lower: p95.lower, upper: p95.upper },
      costSumSq: succeeded ? this.costSq : null,
    };
  }
}

/** Runs `fn` over `items` with at most `limit` in flight; results in the items' order. */
async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * Canary windows from the DynamoDB observation log: a paged Query of the canary's partition (`CAN#<id>`) over the
 * window's sort-key range, summed page by page, and for each successful request the quality score in force (the
 * latest `quality_score` event about it by event time, then by arrival at the gateway, then by event id). Runs in the
 * control plane, never on a request's path; a failed read is a value.
 */
export function dynamoWindowSource(log: DynamoObservationStore, options: DynamoWindowSourceOptions = {}): WindowSource {
  const pageSize = options.pageSize ?? 1_000;
  const concurrency = options.concurrency ?? 16;

  async function qualityOf(o: Observation): Promise<number | null> {
    const read = await log.readFeedback('request', o.requestId);
    if (!read.ok) throw new Error(read.error);
    let best: (typeof read.items)[number] | null = null;
    for (const f of read.items) {
      if (f.metric !== 'quality_score') continue;
      const later = !best || f.eventTime > best.eventTime || (f.eventTime === best.eventTime && f.receivedAt >= best.receivedAt);
      if (later) best = f;
    }
    return best?.value ?? null;
  }

  async function figures(query: WindowQuery): Promise<WindowFigures> {
    const arms = { canary: new ArmSums(), baseline: new ArmSums() };
    let cursor: string | null = null;
    do {
      const read = await log.window({ canaryId: query.canaryId, from: query.from, to: query.to }, cursor, pageSize);
      if (!read.ok) throw new Error(read.error);
      const live = read.page.items.filter((o) => o.traffic === 'live' && (o.arm === 'canary' || o.arm === 'baseline'));
      // As on SQLite and PostgreSQL: an answer a fallback served is never scored.
      const scorable = (o: Observation): boolean => o.errorCode === null && !o.servedConfigId;
      const qualities = await mapLimited(live, concurrency, (o) => (scorable(o) ? qualityOf(o) : Promise.resolve(null)));
      for (const [i, o] of live.entries()) arms[o.arm as 'canary' | 'baseline'].add(o, qualities[i]!);
      cursor = read.page.next;
    } while (cursor !== null);
    return { candidate: arms.canary.window(), baseline: arms.baseline.window() };
  }

  return {
    async figures(query) {
      try {
        return { ok: true, value: await figures(query) };
      } catch (err) {
        return { ok: false, message: `observations unreadable (DynamoDB): ${(err as Error).message}` };
      }
    },
    close: () => log.close(),
  };
}
