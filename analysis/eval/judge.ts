import { converseCall, type GatewayClientOptions } from './client.ts';
import type { GoldenCase } from './dataset.ts';
import type { EvalPrompt } from './prompt.ts';

/** A judge configuration and how much its score counts. */
export interface JudgeOptions {
  configId: string;
  /** Weight of the judge score in the combined quality, 0..1 (0: rule-based only). */
  weight: number;
}

/** A judge's grade, or why there is none. */
export type JudgeOutcome = { ok: true; score: number } | { ok: false; errorCode: string };

const RUBRIC = `You grade a shopping assistant's answer. Compare the graded answer with the reference answer: does it state the same facts, correctly, without padding or invented claims? Reply with a first line "Score: <number between 0 and 1>" and one sentence of reasons.`;

/** The rubric prompt a judge model answers. */
export function judgePrompt(c: GoldenCase, answer: string): EvalPrompt {
  const user = [
    `<question>\n${c.query}\n</question>`,
    `<reference_answer>\n${c.referenceAnswer}\n</reference_answer>`,
    `<graded_answer>\n${answer}\n</graded_answer>`,
  ].join('\n');
  return { system: RUBRIC, user };
}

/** The score in a judge's reply (`Score: 0.8`, also `8/10`), clamped to [0, 1]; null when none is found. */
export function parseJudgeScore(reply: string): number | null {
  const m = /score\s*[:=]\s*(\d+(?:\.\d+)?)\s*(?:\/\s*(\d+))?/i.exec(reply);
  if (!m) return null;
  const value = Number(m[1]);
  const scale = m[2] ? Number(m[2]) : value > 1 ? 10 : 1;
  if (!Number.isFinite(value) || scale <= 0) return null;
  return Math.min(1, Math.max(0, value / scale));
}

/** Asks the judge configuration through the gateway (pinned, traffic `eval`) to grade an answer. */
export async function askJudge(client: GatewayClientOptions, judge: JudgeOptions, c: GoldenCase, answer: string): Promise<JudgeOutcome> {
  const outcome = await converseCall(client, judge.configId, judgePrompt(c, answer), {
    intent: 'other',
    sessionId: `eval-judge:${c.testId}`,
  });
  if (!outcome.ok) return { ok: false, errorCode: outcome.errorCode };
  const score = parseJudgeScore(outcome.text);
  return score === null ? { ok: false, errorCode: 'unparseable_judge_reply' } : { ok: true, score };
}

/** Weighted mean of the rule-based composite and the judge score; the rule score alone without a judge score. */
export function combineScores(rule: number, judge: number | null, weight: number): number {
  return judge === null || weight <= 0 ? rule : (1 - weight) * rule + weight * judge;
}
