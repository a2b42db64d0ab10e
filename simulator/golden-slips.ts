import type { Rng } from './rng.ts';

const MONTHS = 'January|February|March|April|May|June|July|August|September|October|November|December';

/**
 * The slips a model makes when it restates a retrieved line: a price two dollars off, a doubled time
 * window, a bigger discount, a flipped stock state, an order further along than it is, a date two days late.
 */
const SLIPS: { pattern: RegExp; wrong: (m: RegExpExecArray) => string }[] = [
  { pattern: /\$(\d+)\.(\d\d)/, wrong: (m) => `$${Number(m[1]) + 2}.${m[2]}` },
  { pattern: /\b(\d+) (business )?days\b/, wrong: (m) => `${2 * Number(m[1])} ${m[2] ?? ''}days` },
  { pattern: /\b(\d+)% off\b/, wrong: (m) => `${Number(m[1]) + 10}% off` },
  { pattern: /(Vol\. \d+) is out of stock/, wrong: (m) => `${m[1]} is in stock` },
  { pattern: /(Vol\. \d+) is in stock/, wrong: (m) => `${m[1]} is out of stock` },
  { pattern: /(\d{3}-\d{7}-\d{7}) (?:has shipped|is out for delivery)/, wrong: (m) => `${m[1]} has been delivered` },
  { pattern: /(\d{3}-\d{7}-\d{7}) is being prepared/, wrong: (m) => `${m[1]} has shipped` },
  { pattern: new RegExp(`\\b(${MONTHS}) (\\d{1,2})\\b`), wrong: (m) => `${m[1]} ${Number(m[2]) + 2}` },
];

/** The line with one slip applied (a random applicable one), or null when no slip fits it. */
export function slip(line: string, rng: Rng): string | null {
  const applicable = SLIPS.filter((s) => s.pattern.test(line));
  if (applicable.length === 0) return null;
  const chosen = applicable[rng.int(applicable.length)]!;
  return line.replace(chosen.pattern, (...args) => chosen.wrong(args.slice(0, -2) as unknown as RegExpExecArray));
}
