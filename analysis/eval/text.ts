const STOP = new Set([
  'this',
  'that',
  'with',
  'from',
  'your',
  'have',
  'will',
  'what',
  'when',
  'which',
  'there',
  'their',
  'about',
  'would',
  'could',
  'should',
  'them',
  'they',
  'then',
  'than',
  'into',
  'also',
  'here',
  'more',
  'were',
  'been',
  'only',
  'other',
  'some',
  'such',
  'each',
  'very',
  'just',
  'like',
  'please',
]);

/** Lower-cases and collapses white space, for substring matching. */
export function normalize(text: string): string {
  return text.toLowerCase().replace(/\s+/g, ' ').trim();
}

/** True when `phrase` occurs in `text`, ignoring case and white-space differences. */
export function mentions(text: string, phrase: string): boolean {
  return normalize(text).includes(normalize(phrase));
}

/** Content words: four or more letters, lower-cased, without common function words. */
export function contentWords(text: string): Set<string> {
  const words = text.toLowerCase().match(/[a-z][a-z'-]{3,}/g) ?? [];
  return new Set(words.filter((x) => !STOP.has(x)));
}

/** Sentences and list items of a text. */
export function sentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+|\n+/)
    .map((s) => s.trim())
    .filter((s) => /[a-z0-9]/i.test(s));
}

/** Tokens of a text when no metered count is known: a quarter of the characters, rounded up. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
