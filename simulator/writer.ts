import type { ModelProfile } from './profiles.ts';
import type { Rng } from './rng.ts';

/** A request message reduced to its role and text. */
export interface ChatMessage {
  role: string;
  text: string;
}

/** What an answer writer knows about the call it answers. */
export interface AnswerContext {
  modelId: string;
  intent: string;
  /** The request's messages, in order, with the text of their content blocks joined. */
  messages: readonly ChatMessage[];
  /** The system prompt text ('' when none). */
  system: string;
  /** How many tokens the model would naturally answer with (before any max-tokens cap). */
  targetTokens: number;
  /** Seeded per call: the same call gets the same draws. */
  rng: Rng;
  profile: ModelProfile;
}

/**
 * Produces an answer as tokens, joined in order with no separator (a token carries its own leading space).
 * The answer's output token count is the length of the returned array.
 */
export type AnswerWriter = (ctx: AnswerContext) => string[];

const SENTENCES = [
  'Based on what you describe, the {adj} {noun} looks like a good fit.',
  'Many customers choose it for its {adj} design and {adj} {noun}.',
  'You could also compare it with the {adj} {noun} from the same range.',
  'If {topic} matters most to you, I would start with the {adj} option.',
  'Delivery usually takes two to four working days, and returns are free within thirty days.',
  'Let me know if you would like more details about {topic}.',
  'It comes with a {adj} {noun} and a simple returns process.',
  'Prices start at around {price} depending on the {noun} you pick.',
  'Most people find the {adj} version easier to use every day.',
  'The {noun} is {adj}, {adj} and well reviewed by other shoppers.',
  'For {topic}, our team generally recommends checking the size guide first.',
  'You can track every order from your account page at any time.',
].map((sentence) => sentence.split(' '));

const OPENINGS = ['Sure, here is what I found.', 'Happy to help with that.', 'Great question.', 'Thanks for asking.'].map((s) =>
  s.split(' '),
);
const ADJECTIVES = [
  'lightweight',
  'durable',
  'practical',
  'classic',
  'comfortable',
  'reliable',
  'affordable',
  'premium',
  'compact',
  'versatile',
];
const NOUNS = ['model', 'fabric', 'finish', 'warranty', 'size', 'colour', 'fit', 'battery', 'frame', 'bundle'];

/** Filler shop-assistant prose of exactly `targetTokens` words (one word = one token), echoing words of the question. */
export const defaultWriter: AnswerWriter = function fillerWriter(ctx) {
  const n = Math.max(0, Math.floor(ctx.targetTokens));
  const topics = topicWords(ctx.messages);
  const tokens: string[] = [];
  let sentence = OPENINGS[ctx.rng.int(OPENINGS.length)]!;
  while (tokens.length < n) {
    for (const template of sentence) {
      if (tokens.length === n) break;
      const word = template.includes('{') ? fillSlot(template, topics, ctx.rng) : template;
      tokens.push(tokens.length === 0 ? word : ` ${word}`);
    }
    sentence = SENTENCES[ctx.rng.int(SENTENCES.length)]!;
  }
  if (n > 0 && !/[.!?]$/.test(tokens[n - 1]!)) tokens[n - 1] = tokens[n - 1]!.replace(/[,;:]?$/, '.');
  return tokens;
};

function fillSlot(template: string, topics: readonly string[], rng: Rng): string {
  return template.replace(/\{(\w+)\}/g, (_, slot: string) => {
    if (slot === 'adj') return ADJECTIVES[rng.int(ADJECTIVES.length)]!;
    if (slot === 'noun') return NOUNS[rng.int(NOUNS.length)]!;
    if (slot === 'price') return `$${19 + 10 * rng.int(20)}`;
    return topics.length > 0 ? topics[rng.int(topics.length)]! : 'this';
  });
}

function topicWords(messages: readonly ChatMessage[]): string[] {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.role !== 'user') continue;
    const words = m.text.toLowerCase().match(/[a-z]{5,}/g) ?? [];
    return [...new Set(words)].filter((w) => !STOP_WORDS.has(w)).slice(0, 6);
  }
  return [];
}

const STOP_WORDS = new Set(['could', 'would', 'should', 'there', 'their', 'about', 'which', 'where', 'hello', 'please', 'thanks']);
