import { parseGoldenPrompt, parseJudgePrompt, type GoldenPrompt, type JudgePrompt } from './golden-prompt.ts';
import { slip } from './golden-slips.ts';
import { fidelityOf, intentProfile, type Fidelity } from './profiles.ts';
import { createRng, hashString, type Rng } from './rng.ts';
import { defaultWriter, type AnswerContext, type AnswerWriter } from './writer.ts';

const FILLER = [
  'Let me know if there is anything else I can do for you.',
  'I am always glad to help.',
  'Feel free to ask another question at any time.',
  'Thank you for shopping with us.',
  'Hope this helps!',
  'Is there anything else you would like to know?',
  'Enjoy your reading!',
];

/**
 * Answers retrieval-augmented prompts (the tagged layout of `golden-prompt.ts`) from the prompt alone, with
 * the model's fidelity for the intent: each retrieved line restated with probability `factRecall`, the
 * shopper's history used with probability `personalise`, generic filler in proportion to `genericness`, and a
 * slip (a wrong figure or state) with probability `hallucination`. Answers judge rubric prompts with a
 * parseable score. Anything else goes to the default writer. Draws (answer length included) are seeded by the model and the prompt,
 * so the same case gets the same answer from the same model whatever the call order.
 */
export const goldenWriter: AnswerWriter = function goldenWriter(ctx) {
  const text = lastUserText(ctx);
  // Both layouts end their question or answer with a closing tag; plain prompts skip the parsing.
  if (!text.includes('</')) return defaultWriter(ctx);
  const judge = parseJudgePrompt(text);
  if (judge) return tokenize(judgeAnswer(judge));
  const prompt = parseGoldenPrompt(text);
  if (!prompt) return defaultWriter(ctx);
  const intent = prompt.intent ?? ctx.intent;
  const rng = createRng(hashString(`${ctx.modelId}\u0000${text}`));
  return tokenize(writeAnswer(prompt, intent, fidelityOf(ctx.profile, intent), naturalLength(ctx, intent, rng), rng));
};

/** The profile's answer length for the intent, drawn from the prompt-seeded source (not the call's). */
function naturalLength(ctx: AnswerContext, intent: string, rng: Rng): number {
  const behaviour = intentProfile(ctx.profile, intent);
  const length = behaviour.fraction * behaviour.budget * (1 + ctx.profile.outputSpread * rng.normal());
  return Math.max(1, Math.min(behaviour.budget, Math.round(length)));
}

function lastUserText(ctx: AnswerContext): string {
  for (let i = ctx.messages.length - 1; i >= 0; i--) if (ctx.messages[i]!.role === 'user') return ctx.messages[i]!.text;
  return '';
}

/** Words with their leading white space, one token each. */
function tokenize(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [];
}

function writeAnswer(p: GoldenPrompt, intent: string, f: Fidelity, targetTokens: number, rng: Rng): string {
  const viewed = (p.page.recently_viewed ?? []).map(parseViewed);
  const personal = viewed.length > 0 && rng.next() < f.personalise;
  const genre = viewed[0]?.genre;
  const list = intent === 'recommendation';
  let lines = p.context;
  if (list && personal && genre) lines = [...lines.filter((l) => l.includes(genre)), ...lines.filter((l) => !l.includes(genre))];
  let kept = lines.filter((l) => rng.next() < (list && personal && genre && !l.includes(genre) ? f.factRecall / 3 : f.factRecall));
  if (kept.length > 0 && rng.next() < f.hallucination) {
    const i = rng.int(kept.length);
    kept = kept.map((l, j) => (j === i ? (slip(l, rng) ?? l) : l));
  }
  const head = [opening(p, intent, personal ? viewed : [], rng), ...kept.map((l) => (list ? `\n- ${l}` : l))]
    .join(' ')
    .replace(/ \n/g, '\n');
  const padding: string[] = [];
  let words = head.split(/\s+/).length;
  for (let guard = 0; words < targetTokens && guard < 400; guard++) {
    const generic = kept.length === 0 || rng.next() < f.genericness;
    const sentence = generic ? FILLER[rng.int(FILLER.length)]! : elaborate(kept[rng.int(kept.length)]!, list, rng);
    padding.push(sentence);
    words += sentence.split(' ').length;
  }
  return padding.length === 0 ? head : `${head}${list ? '\n\n' : ' '}${padding.join(' ')}`;
}

function opening(p: GoldenPrompt, intent: string, viewed: { title: string; genre: string }[], rng: Rng): string {
  if (intent === 'recommendation') {
    if (viewed.length === 0) return 'Here are some popular manga series right now:';
    const titles = viewed.map((v) => v.title).join(' and ');
    return `Since you recently viewed ${titles}, here are more ${viewed[0]!.genre} series you may like:`;
  }
  if (intent === 'chitchat') return /thank/i.test(p.question) ? 'You are welcome!' : 'Hello!';
  return ['Sure, here is what I found.', 'Happy to help with that.', 'Thanks for asking.'][rng.int(3)]!;
}

function elaborate(line: string, list: boolean, rng: Rng): string {
  const subject = line.split(/[:;,]/)[0]!.replace(/[.]$/, '');
  if (list) return `${['In short:', 'To sum up:', 'Worth a look:'][rng.int(3)]!} ${subject}.`;
  return `${['To confirm:', 'Just to repeat:', 'In short:'][rng.int(3)]!} ${subject}.`;
}

function parseViewed(value: string): { title: string; genre: string } {
  const m = /^(.*?)\s*\(([^)]+)\)$/.exec(value);
  return m ? { title: m[1]!, genre: m[2]! } : { title: value, genre: '' };
}

/** A grade from what the judge can see: reference content carried by the answer, and how little is padding. */
export function judgeScore(j: JudgePrompt): number {
  const words = (s: string): Set<string> =>
    new Set((s.toLowerCase().match(/[a-z0-9$][a-z0-9$.'-]{2,}/g) ?? []).map((w) => w.replace(/[.]+$/, '')));
  const reference = words(j.reference);
  const graded = words(j.graded);
  if (graded.size === 0) return 0;
  const known = new Set([...reference, ...words(j.question)]);
  let recall = 0;
  for (const w of reference) if (graded.has(w)) recall++;
  let onTopic = 0;
  for (const w of graded) if (known.has(w)) onTopic++;
  const score = 0.7 * (reference.size ? recall / reference.size : 1) + 0.3 * Math.min(1, (onTopic / graded.size) * 2);
  return Math.round(score * 100) / 100;
}

function judgeAnswer(j: JudgePrompt): string {
  const score = judgeScore(j);
  const verdict =
    score >= 0.75
      ? 'The answer covers the reference well.'
      : score >= 0.5
        ? 'The answer covers part of the reference.'
        : 'The answer misses most of the reference.';
  return `Score: ${score.toFixed(2)}\n${verdict}`;
}
