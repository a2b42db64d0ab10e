import { MONTHS } from './catalogue.ts';

/**
 * The wrong statements a model is tempted into when it restates a catalogue line: a price two dollars off,
 * a doubled time window, a bigger discount, a flipped stock state, an order further along than it is, a
 * date two days late. Each rule maps one matched fragment to its wrong version.
 */
const RULES: { pattern: RegExp; wrong: (m: RegExpExecArray) => string }[] = [
  { pattern: /\$(\d+)\.(\d\d)/g, wrong: (m) => `$${Number(m[1]) + 2}.${m[2]}` },
  { pattern: /\b(\d+) (business )?days\b/g, wrong: (m) => `${2 * Number(m[1])} ${m[2] ?? ''}days` },
  { pattern: /\b(\d+)% off\b/g, wrong: (m) => `${Number(m[1]) + 10}% off` },
  { pattern: /(Vol\. \d+) is out of stock/g, wrong: (m) => `${m[1]} is in stock` },
  { pattern: /(Vol\. \d+) is in stock/g, wrong: (m) => `${m[1]} is out of stock` },
  { pattern: /(\d{3}-\d{7}-\d{7}) (?:has shipped|is out for delivery)/g, wrong: (m) => `${m[1]} has been delivered` },
  { pattern: /(\d{3}-\d{7}-\d{7}) is being prepared/g, wrong: (m) => `${m[1]} has shipped` },
  { pattern: new RegExp(`\\b(${MONTHS.join('|')}) (\\d{1,2})\\b`, 'g'), wrong: (m) => `${m[1]} ${Number(m[2]) + 2}` },
];

/** Every wrong fragment a restatement of `line` could carry. */
export function temptingClaims(line: string): string[] {
  const out: string[] = [];
  for (const rule of RULES) {
    for (const m of line.matchAll(rule.pattern)) out.push(rule.wrong(m as RegExpExecArray));
  }
  return out;
}

/** The tempting wrong claims of a case's fact lines that no true line of the case states. */
export function forbiddenClaimsOf(factLines: readonly string[], trueText: readonly string[]): string[] {
  const truth = trueText.join('\n').toLowerCase();
  const claims = factLines.flatMap(temptingClaims).filter((c) => !truth.includes(c.toLowerCase()));
  return [...new Set(claims)];
}
