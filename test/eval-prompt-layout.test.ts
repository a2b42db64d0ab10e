import { describe, expect, it } from 'vitest';
import { DEFAULT_DATASET, readDataset } from '../analysis/eval/dataset.ts';
import { judgePrompt } from '../analysis/eval/judge.ts';
import { buildPrompt } from '../analysis/eval/prompt.ts';
import { parseGoldenPrompt, parseJudgePrompt } from '../simulator/golden-prompt.ts';

describe('the prompt layout shared by the evaluator and the simulator', () => {
  const cases = readDataset(DEFAULT_DATASET);

  it('round-trips intent, page context, history, retrieved lines and question for every case', () => {
    for (const c of cases) {
      const prompt = buildPrompt(c);
      const parsed = parseGoldenPrompt(prompt.user);
      expect(parsed, c.testId).not.toBeNull();
      expect(parsed!.intent).toBe(c.intent);
      expect(parsed!.context).toEqual(c.context);
      expect(parsed!.question).toBe(c.query);
      expect(parsed!.history).toHaveLength(c.conversationHistory.length);
      const viewed = c.pageContext.recently_viewed;
      if (Array.isArray(viewed)) expect(parsed!.page.recently_viewed).toEqual(viewed);
      for (const claim of c.forbiddenClaims) expect(prompt.user.toLowerCase(), `${c.testId}: ${claim}`).not.toContain(claim.toLowerCase());
    }
  });

  it('keeps judge prompts apart from retrieval prompts', () => {
    const c = cases[0]!;
    const judge = judgePrompt(c, 'some answer').user;
    expect(parseJudgePrompt(judge)).toEqual({ question: c.query, reference: c.referenceAnswer, graded: 'some answer' });
    expect(parseGoldenPrompt(judge)).toBeNull();
    expect(parseJudgePrompt(buildPrompt(c).user)).toBeNull();
  });
});
