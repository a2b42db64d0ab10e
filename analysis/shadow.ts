import { buildPrompt } from './eval/prompt.ts';
import type { GoldenCase } from './eval/dataset.ts';
import { scoreAnswer } from './eval/scorer.ts';
import type { PairSide, ShadowPairRow } from './queries/shadow.ts';
import { pairedTTest, type PairedResult } from './stats/paired.ts';

/** Means of one side of the compared pairs. */
export interface ShadowSide {
  configId: string;
  errorRate: number;
  /** Mean rule-scorer quality over the scored pairs; null when none was scored. */
  meanQuality: number | null;
  /** Mean cost per request over the pairs both sides answered. */
  meanCostUsd: number | null;
  meanLatencyMs: number | null;
}

/** The shadow candidate of one intent beside the live configuration, on the same requests. */
export interface ShadowComparison {
  route: string;
  intent: string;
  pairs: number;
  /** Pairs both sides answered without error. */
  bothOk: number;
  /** Pairs whose two answers were scored (both answered, texts kept, the prompt matched a golden case). */
  scored: number;
  live: ShadowSide;
  shadow: ShadowSide;
  /** Paired t-tests of shadow minus live on the same request. */
  quality: PairedResult | null;
  costUsd: PairedResult | null;
  latencyMs: PairedResult | null;
}

/**
 * Finds the golden case a live prompt was built from: the exact layout the offline evaluator sends, else the
 * `<question>` section (or the whole prompt) equal to a case's query. Requests that match no case are compared on
 * cost, latency and errors only: the rule scorer needs a case's facts.
 */
export function goldenIndex(cases: readonly GoldenCase[]): (prompt: string | null) => GoldenCase | undefined {
  const byPrompt = new Map(cases.map((c) => [buildPrompt(c).user.trim(), c]));
  const byQuery = new Map(cases.map((c) => [c.query.trim(), c]));
  return (prompt) => {
    if (prompt === null) return undefined;
    const text = prompt.trim();
    const question = /<question>\s*([\s\S]*?)\s*<\/question>/.exec(text)?.[1] ?? text;
    return byPrompt.get(text) ?? byQuery.get(question);
  };
}

const mean = (xs: number[]): number | null => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

function sideOf(configId: string, sides: PairSide[], okPairs: [PairSide, PairSide][], pick: 0 | 1, quality: number[]): ShadowSide {
  const answered = okPairs.map((p) => p[pick]);
  return {
    configId,
    errorRate: sides.filter((s) => !s.ok).length / sides.length,
    meanQuality: mean(quality),
    meanCostUsd: mean(answered.filter((s) => s.costUsd !== null).map((s) => s.costUsd!)),
    meanLatencyMs: mean(answered.map((s) => s.latencyMs)),
  };
}

/**
 * Per (route, intent, live configuration, shadow configuration): both answers of every pair scored with the rule
 * scorer against the matching golden case, and paired t-tests of quality, cost and latency differences over the
 * pairs both sides answered. Pairs are requests, not sessions: requests of one session are correlated, so the
 * p-values are the naive per-request figures.
 */
export function compareShadows(rows: readonly ShadowPairRow[], cases: readonly GoldenCase[], alpha = 0.05): ShadowComparison[] {
  const find = goldenIndex(cases);
  const groups = new Map<string, ShadowPairRow[]>();
  for (const r of rows) {
    const key = JSON.stringify([r.route, r.intent, r.live.configId, r.shadow.configId]);
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const out: ShadowComparison[] = [];
  for (const group of groups.values()) {
    const first = group[0]!;
    const okPairs = group.filter((r) => r.live.ok && r.shadow.ok).map((r) => [r.live, r.shadow] as [PairSide, PairSide]);
    const liveQ: number[] = [];
    const shadowQ: number[] = [];
    for (const r of group) {
      const c = find(r.prompt);
      if (!c || !r.live.ok || !r.shadow.ok || r.live.answer === null || r.shadow.answer === null) continue;
      liveQ.push(scoreAnswer(c, r.live.answer, { outputTokens: r.live.outputTokens }).composite);
      shadowQ.push(scoreAnswer(c, r.shadow.answer, { outputTokens: r.shadow.outputTokens }).composite);
    }
    const costPairs = okPairs.filter(([l, s]) => l.costUsd !== null && s.costUsd !== null);
    const test = (diffs: number[]): PairedResult | null => (diffs.length ? pairedTTest(diffs, alpha) : null);
    out.push({
      route: first.route,
      intent: first.intent,
      pairs: group.length,
      bothOk: okPairs.length,
      scored: liveQ.length,
      live: sideOf(
        first.live.configId ?? '',
        group.map((r) => r.live),
        okPairs,
        0,
        liveQ,
      ),
      shadow: sideOf(
        first.shadow.configId ?? '',
        group.map((r) => r.shadow),
        okPairs,
        1,
        shadowQ,
      ),
      quality: test(shadowQ.map((q, i) => q - liveQ[i]!)),
      costUsd: test(costPairs.map(([l, s]) => s.costUsd! - l.costUsd!)),
      latencyMs: test(okPairs.map(([l, s]) => s.latencyMs - l.latencyMs)),
    });
  }
  return out.sort((a, b) => (a.route + a.intent + a.shadow.configId < b.route + b.intent + b.shadow.configId ? -1 : 1));
}
