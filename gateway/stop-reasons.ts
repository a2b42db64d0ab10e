import type { StopReason } from './canonical.ts';

/**
 * Stop reasons are recorded in Converse's vocabulary whatever the protocol: Bedrock's and Anthropic's own
 * names are kept as they came; Chat Completions' `finish_reason` is mapped to its Converse twin (an unknown
 * one is kept). One vocabulary lets the analysis and the metrics count guardrail interventions across providers.
 */
const FINISH_TO_RECORDED: Record<string, string> = {
  stop: 'end_turn',
  length: 'max_tokens',
  content_filter: 'content_filtered',
  tool_calls: 'tool_use',
  function_call: 'tool_use',
};

/** The recorded stop reason of a Chat Completions `finish_reason`. */
export function recordedOfFinish(finish: string): string {
  return FINISH_TO_RECORDED[finish] ?? finish;
}

/** Stop reasons that may appear as a metrics label; anything else is counted as `other`. */
export const KNOWN_STOP_REASONS: ReadonlySet<string> = new Set([
  'end_turn',
  'max_tokens',
  'stop_sequence',
  'tool_use',
  'content_filtered',
  'guardrail_intervened',
  'model_context_window_exceeded',
  'refusal',
  'pause_turn',
]);

const CANONICAL = new Set<string>(['end_turn', 'max_tokens', 'stop_sequence', 'content_filtered', 'tool_use']);
/** Recorded stop reasons with no canonical twin, mapped to the nearest one. */
const ALIASES: Record<string, StopReason> = {
  guardrail_intervened: 'content_filtered',
  refusal: 'content_filtered',
  model_context_window_exceeded: 'max_tokens',
};

/** The canonical stop reason of a recorded one (Converse's names); `end_turn` when unknown or absent. */
export function canonicalStop(recorded: string | null | undefined): StopReason {
  if (!recorded) return 'end_turn';
  return CANONICAL.has(recorded) ? (recorded as StopReason) : (ALIASES[recorded] ?? 'end_turn');
}

/** Canonical stop reasons as Chat Completions' `finish_reason`. */
export const STOP_TO_FINISH: Record<StopReason, string> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  content_filtered: 'content_filter',
  tool_use: 'tool_calls',
};
