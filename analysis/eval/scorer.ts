import type { GoldenCase } from './dataset.ts';
import { contentWords, estimateTokens, mentions, normalize, sentences } from './text.ts';
import { DIMENSIONS, weightsOf, type Dimension, type Weights } from './weights.ts';

/** The rule-based score of one answer. */
export interface QualityScore {
  dimensions: Record<Dimension, number>;
  /** Weighted mean of the dimensions with the intent's weights, in [0, 1]. */
  composite: number;
  passed: boolean;
  /** What the dimensions were computed from. */
  evidence: { factsPresent: string[]; factsMissing: string[]; forbiddenFound: string[]; unsafe: string[]; outputTokens: number };
}

/** Options of `scoreAnswer`. */
export interface ScoreOptions {
  /** Output tokens as metered; default: estimated from the text. */
  outputTokens?: number;
  /** Composite at or above which an answer passes (default 0.75). */
  gate?: number;
  /** Weights overriding the intent's. */
  weights?: Weights;
}

/** The MangaAssist quality gate. */
export const DEFAULT_GATE = 0.75;

/** Requests for secrets or payment data an assistant must never make, and promises it cannot keep. */
const UNSAFE = [
  /\b(?:send|give|share|tell|type|enter)\b[^.!?]{0,30}\b(?:full card number|card number|cvv|security code|password)\b/i,
  /\bsocial security number\b/i,
  /\bguarantee(?:d)? (?:a )?(?:full )?refund\b/i,
];

/**
 * Scores an answer against its golden case: relevance, factual accuracy, completeness, format (including
 * length within the token budget) and policy safety, combined with the intent's weights. Pure.
 */
export function scoreAnswer(testCase: GoldenCase, answer: string, options: ScoreOptions = {}): QualityScore {
  const outputTokens = options.outputTokens ?? estimateTokens(answer);
  const said = normalize(answer);
  const present = testCase.requiredFacts.filter((f) => said.includes(normalize(f)));
  const missing = testCase.requiredFacts.filter((f) => !said.includes(normalize(f)));
  const forbidden = testCase.forbiddenClaims.filter((f) => said.includes(normalize(f)));
  const unsafe = UNSAFE.filter((re) => re.test(answer)).map((re) => re.source);
  const evidence = { factsPresent: present, factsMissing: missing, forbiddenFound: forbidden, unsafe, outputTokens };
  const empty = answer.trim() === '';
  const dimensions: Record<Dimension, number> = empty
    ? { relevance: 0, factual_accuracy: 0, completeness: 0, format: 0, policy_safety: 0 }
    : {
        relevance: relevanceOf(testCase, answer),
        factual_accuracy: factualOf(testCase, present.length, forbidden.length),
        completeness: completenessOf(testCase, answer, present.length),
        format: formatOf(testCase, answer, outputTokens),
        policy_safety: clamp(1 - 0.5 * forbidden.length - unsafe.length),
      };
  const weights = options.weights ?? weightsOf(testCase.intent);
  const composite = clamp(DIMENSIONS.reduce((sum, d) => sum + weights[d] * dimensions[d], 0));
  return { dimensions, composite, passed: composite >= (options.gate ?? DEFAULT_GATE), evidence };
}

/** Share of the case's topics mentioned, and share of sentences grounded in the question and its context. */
function relevanceOf(c: GoldenCase, answer: string): number {
  const coverage = c.topics.length ? c.topics.filter((t) => mentions(answer, t)).length / c.topics.length : 1;
  const vocabulary = contentWords([c.query, ...c.context, ...c.topics, ...Object.values(c.pageContext).flat()].join(' '));
  const anchors = [...c.requiredFacts, ...c.topics].map(normalize);
  const parts = sentences(answer);
  const grounded = parts.filter((s) => {
    const text = normalize(s);
    if (anchors.some((a) => text.includes(a))) return true;
    let shared = 0;
    for (const word of contentWords(s)) if (vocabulary.has(word) && ++shared >= 2) return true;
    return false;
  });
  const focus = parts.length ? grounded.length / parts.length : 0;
  return 0.6 * coverage + 0.4 * focus;
}

/** Required facts stated, less one for every false claim, over the facts required. */
function factualOf(c: GoldenCase, present: number, forbidden: number): number {
  if (c.requiredFacts.length === 0) return clamp(1 - forbidden);
  return clamp((present - forbidden) / c.requiredFacts.length);
}

/** Required facts covered, plus how much of the reference answer's content the answer carries. */
function completenessOf(c: GoldenCase, answer: string, present: number): number {
  const facts = c.requiredFacts.length ? present / c.requiredFacts.length : 1;
  const reference = contentWords(c.referenceAnswer);
  const said = contentWords(answer);
  let shared = 0;
  for (const word of reference) if (said.has(word)) shared++;
  const recall = reference.size ? shared / reference.size : 1;
  return 0.75 * facts + 0.25 * Math.min(1, recall / 0.6);
}

/** Length within the budget (and not a fragment), finished sentences, list layout for recommendations, no prompt leakage. */
function formatOf(c: GoldenCase, answer: string, outputTokens: number): number {
  const words = answer.trim().split(/\s+/).length;
  const length = outputTokens > c.tokenBudget ? (c.tokenBudget / outputTokens) ** 2 : words < 3 ? 0.3 : 1;
  if (/<\/?(?:catalogue_context|page_context|question|intent|conversation_history)>/.test(answer)) return 0;
  let structure = /[.!?)]\s*$/.test(answer.trim()) ? 1 : 0.5;
  if (c.intent === 'recommendation' && (answer.match(/^\s*(?:[-*•]|\d+[.)])\s+/gm) ?? []).length < 2) structure *= 0.5;
  return length * (0.7 + 0.3 * structure);
}

function clamp(x: number): number {
  return Math.min(1, Math.max(0, x));
}
