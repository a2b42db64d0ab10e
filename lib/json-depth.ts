/**
 * JSON bodies with a bounded nesting depth. `JSON.parse` copes with deep nesting, but what runs after it
 * (schema checks, `JSON.stringify` when a body is re-serialised, structured logging) recurses and overflows the
 * stack somewhere past a few thousand levels. The depth is checked first, by one linear pass over the text.
 */

/** Deepest nesting of objects and arrays a request body may have (real chat requests stay well under 20). */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/**
 * Whether JSON text nests objects and arrays deeper than `limit`, counting brackets outside strings in one pass
 * and stopping at the first level past the limit. Text that is not JSON gives a meaningless but harmless answer:
 * `JSON.parse` decides about syntax.
 */
export function nestsDeeperThan(text: string, limit: number): boolean {
  // Text with at most `limit` opening brackets in all cannot nest deeper: counted by the engine's own search,
  // much faster than the walk below over a body of mostly message text.
  let brackets = 0;
  for (let at = text.indexOf('{'); at !== -1 && brackets <= limit; at = text.indexOf('{', at + 1)) brackets++;
  for (let at = text.indexOf('['); at !== -1 && brackets <= limit; at = text.indexOf('[', at + 1)) brackets++;
  if (brackets <= limit) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > limit) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/** The outcome of parsing a request body: the value, or why it was refused and a message naming the problem. */
export type BoundedJson = { ok: true; value: unknown } | { ok: false; problem: 'too_deep' | 'malformed'; message: string };

/** Parses JSON text whose nesting is at most `maxDepth` levels; never throws. */
export function parseBoundedJson(text: string, maxDepth: number = MAX_JSON_DEPTH): BoundedJson {
  if (nestsDeeperThan(text, maxDepth)) {
    return { ok: false, problem: 'too_deep', message: `request body nests objects and arrays deeper than the limit of ${maxDepth} levels` };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, problem: 'malformed', message: `request body is not valid JSON: ${(err as Error).message}` };
  }
}
