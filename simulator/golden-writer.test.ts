import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { judgeScore, goldenWriter } from './golden-writer.ts';
import { parseJudgePrompt } from './golden-prompt.ts';
import { findProfile, parseProfiles, type Fidelity, type ModelProfile } from './profiles.ts';
import { createRng } from './rng.ts';
import { HAIKU, SONNET_V2 } from './test-support.ts';
import { defaultWriter, type AnswerContext } from './writer.ts';

const bundled = JSON.parse(readFileSync(new URL('./profiles.json', import.meta.url), 'utf8')) as {
  models: Record<string, Record<string, unknown>>;
};

function profileWith(fidelity: Fidelity): ModelProfile {
  const data = structuredClone(bundled);
  data.models[SONNET_V2]!.fidelity = { default: fidelity };
  return findProfile(parseProfiles(data), SONNET_V2)!;
}

const PROMPT = [
  '<intent>recommendation</intent>',
  '<page_context>\npage: home\nrecently_viewed: Azure Courier (mystery); Velvet Fox (mystery)\n</page_context>',
  '<conversation_history>\n</conversation_history>',
  '<catalogue_context>',
  '- Silent Garden by Kenji Sakamoto: mecha sci-fi, 20 volumes, ongoing, $9.99 per volume.',
  '- Scarlet Carnival by Kenji Ogawa: mystery, 12 volumes, completed, $10.99 per volume.',
  '- Thunder Lantern by Daichi Yamada: mystery, 14 volumes, ongoing, $13.99 per volume.',
  '</catalogue_context>',
  '<question>\nWhat should I read next?\n</question>',
].join('\n');

function ctx(profile: ModelProfile, text = PROMPT, seed = 1): AnswerContext {
  return {
    modelId: profile.id,
    intent: 'recommendation',
    messages: [{ role: 'user', text }],
    system: '',
    targetTokens: 50,
    rng: createRng(seed),
    profile,
  };
}

const answer = (c: AnswerContext): string => goldenWriter(c).join('');

describe('golden writer', () => {
  it('restates every retrieved line and personalises with full fidelity', () => {
    const text = answer(ctx(profileWith({ factRecall: 1, personalise: 1, genericness: 0, hallucination: 0 })));
    expect(text).toMatch(/^Since you recently viewed Azure Courier and Velvet Fox, here are more mystery series/);
    expect(text).toMatch(
      /:\n- Scarlet Carnival by Kenji Ogawa: mystery, 12 volumes, completed, \$10\.99 per volume\.\n- Thunder Lantern by/,
    );
    expect(text).not.toMatch(/\$11\.99|\$12\.99|\$15\.99/);
  });

  it('drops lines and stays generic with no fidelity, padding with filler', () => {
    const text = answer(ctx(profileWith({ factRecall: 0, personalise: 0, genericness: 1, hallucination: 0 })));
    expect(text).toMatch(/^Here are some popular manga series right now:/);
    expect(text).not.toContain('$');
    expect(text).not.toContain('Azure Courier');
  });

  it('slips a figure when it hallucinates', () => {
    const text = answer(ctx(profileWith({ factRecall: 1, personalise: 1, genericness: 0, hallucination: 1 })));
    expect(text).toMatch(/\$11\.99|\$12\.99|\$15\.99/);
  });

  it('gives the same answer to the same prompt whatever the call, and different models differ', () => {
    const profiles = parseProfiles(bundled);
    const sonnet = findProfile(profiles, SONNET_V2)!;
    const haiku = findProfile(profiles, HAIKU)!;
    expect(answer(ctx(sonnet, PROMPT, 1))).toBe(answer(ctx(sonnet, PROMPT, 99)));
    const many = (p: ModelProfile) =>
      Array.from({ length: 40 }, (_, i) => answer(ctx(p, PROMPT.replace('What should I read next?', `What should I read next? (${i})`))));
    const personal = (answers: string[]) => answers.filter((a) => a.startsWith('Since you')).length;
    expect(personal(many(sonnet))).toBeGreaterThan(personal(many(haiku)));
  });

  it('leaves other prompts to the default writer', () => {
    const profile = findProfile(parseProfiles(bundled), SONNET_V2)!;
    const plain = ctx(profile, 'Tell me about lightweight tents.', 5);
    expect(goldenWriter(plain)).toEqual(defaultWriter(ctx(profile, 'Tell me about lightweight tents.', 5)));
  });

  it('answers a judge rubric with a parseable score that follows the reference', () => {
    const profile = findProfile(parseProfiles(bundled), SONNET_V2)!;
    const rubric = (graded: string) =>
      `<question>\nWhere is my order?\n</question>\n<reference_answer>\nOrder 112-1 has shipped with UPS, tracking TRK1; delivery May 12.\n</reference_answer>\n<graded_answer>\n${graded}\n</graded_answer>`;
    const good = answer(ctx(profile, rubric('Your order 112-1 has shipped with UPS, tracking TRK1; delivery May 12.')));
    const poor = answer(ctx(profile, rubric('Thank you for shopping with us. Hope this helps!')));
    const score = (t: string) => Number(/^Score: (\d\.\d\d)/.exec(t)![1]);
    expect(score(good)).toBeGreaterThan(0.9);
    expect(score(poor)).toBeLessThan(0.3);
    expect(judgeScore(parseJudgePrompt(rubric(''))!)).toBe(0);
  });
});

describe('fidelity profiles', () => {
  it('ship a fidelity section for every bundled model and reject bad values', () => {
    for (const spec of Object.values(bundled.models)) expect(spec.fidelity).toHaveProperty('default');
    const bad = structuredClone(bundled);
    bad.models[HAIKU]!.fidelity = { default: { factRecall: 1.5, personalise: 1, genericness: 0, hallucination: 0 } };
    expect(() => parseProfiles(bad)).toThrow(/factRecall/);
    const none = structuredClone(bundled);
    delete none.models[HAIKU]!.fidelity;
    expect(findProfile(parseProfiles(none), HAIKU)!.intents.get('faq')!.fidelity).toEqual({
      factRecall: 0.9,
      personalise: 0.9,
      genericness: 0.25,
      hallucination: 0.02,
    });
  });
});
