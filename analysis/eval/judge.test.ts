import { describe, expect, it } from 'vitest';
import { combineScores, judgePrompt, parseJudgeScore } from './judge.ts';
import { readDataset, DEFAULT_DATASET } from './dataset.ts';

describe('judge scorer helpers', () => {
  it('parses scores on 0-1 and 0-10 scales and rejects replies without one', () => {
    expect(parseJudgeScore('Score: 0.82\nGood answer.')).toBe(0.82);
    expect(parseJudgeScore('score = 7/10')).toBe(0.7);
    expect(parseJudgeScore('Score: 8')).toBe(0.8);
    expect(parseJudgeScore('Score: 1.4')).toBeCloseTo(0.14);
    expect(parseJudgeScore('I would rather not grade this.')).toBeNull();
  });

  it('combines as a weighted mean, falling back to the rule score', () => {
    expect(combineScores(0.8, 0.6, 0.25)).toBeCloseTo(0.75);
    expect(combineScores(0.8, null, 0.5)).toBe(0.8);
    expect(combineScores(0.8, 0.2, 0)).toBe(0.8);
  });

  it('shows the judge the question, the reference and the graded answer, and nothing else of the case', () => {
    const c = readDataset(DEFAULT_DATASET).find((x) => x.forbiddenClaims.length > 0)!;
    const prompt = judgePrompt(c, 'an answer');
    expect(prompt.user).toContain(c.referenceAnswer);
    expect(prompt.user).toContain('<graded_answer>\nan answer\n</graded_answer>');
    for (const claim of c.forbiddenClaims) expect(prompt.user).not.toContain(claim);
  });
});
