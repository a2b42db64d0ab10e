/** The rule-based quality dimensions, each in [0, 1]. */
export const DIMENSIONS = ['relevance', 'factual_accuracy', 'completeness', 'format', 'policy_safety'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/** How much each dimension counts in an intent's composite; each row sums to 1. */
export type Weights = Record<Dimension, number>;

const w = (relevance: number, factual_accuracy: number, completeness: number, format: number, policy_safety: number): Weights => ({
  relevance,
  factual_accuracy,
  completeness,
  format,
  policy_safety,
});

/**
 * Per-intent weights. Recommendations live or die by relevance (personalisation); order tracking, product
 * questions and promotions by exact facts; policy answers (faq, checkout, returns) weigh safety higher;
 * chitchat is mostly tone and length.
 */
export const INTENT_WEIGHTS: Record<string, Weights> = {
  recommendation: w(0.4, 0.2, 0.2, 0.1, 0.1),
  product_question: w(0.2, 0.35, 0.2, 0.1, 0.15),
  faq: w(0.2, 0.3, 0.2, 0.1, 0.2),
  order_tracking: w(0.15, 0.4, 0.2, 0.1, 0.15),
  promotion: w(0.2, 0.35, 0.2, 0.1, 0.15),
  checkout_help: w(0.2, 0.3, 0.2, 0.1, 0.2),
  chitchat: w(0.4, 0.1, 0.1, 0.2, 0.2),
  return_request: w(0.2, 0.3, 0.2, 0.1, 0.2),
};

/** Weights of intents not in the table. */
export const DEFAULT_WEIGHTS: Weights = w(0.25, 0.25, 0.2, 0.1, 0.2);

/** The weights of an intent. */
export function weightsOf(intent: string): Weights {
  return INTENT_WEIGHTS[intent] ?? DEFAULT_WEIGHTS;
}
