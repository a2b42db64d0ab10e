import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** One turn of earlier conversation. */
export const Turn = z.strictObject({ role: z.enum(['user', 'assistant']), text: z.string() });
export type Turn = z.infer<typeof Turn>;

/** One golden test case (one JSONL line). */
export const GoldenCase = z.strictObject({
  testId: z.string().min(1),
  intent: z.string().min(1),
  query: z.string().min(1),
  /** Where the shopper is, as key-value pairs (page type, product, recently viewed series ...). */
  pageContext: z.record(z.string(), z.union([z.string(), z.array(z.string())])),
  conversationHistory: z.array(Turn),
  /** Catalogue lines retrieved for the question, as the model sees them (facts and distractors). */
  context: z.array(z.string().min(1)),
  referenceAnswer: z.string().min(1),
  /** Phrases a correct answer states (case-insensitive substring match). */
  requiredFacts: z.array(z.string().min(1)),
  /** Tempting wrong statements; any of them in an answer is a false claim. */
  forbiddenClaims: z.array(z.string().min(1)),
  /** Terms an on-topic answer mentions (the subject; for recommendations the shopper's history). */
  topics: z.array(z.string().min(1)),
  /** Output tokens an answer may use. */
  tokenBudget: z.number().int().positive(),
});
export type GoldenCase = z.infer<typeof GoldenCase>;

/** A dataset line that failed to parse. */
export interface DatasetError {
  line: number;
  message: string;
}

/** Parsed cases, or the line-numbered errors that stopped parsing. */
export type ParsedDataset = { ok: true; cases: GoldenCase[] } | { ok: false; errors: DatasetError[] };

/** Parses JSONL text: one case per non-blank line, test ids unique. */
export function parseDataset(text: string): ParsedDataset {
  const cases: GoldenCase[] = [];
  const errors: DatasetError[] = [];
  const seen = new Set<string>();
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (error) {
      errors.push({ line, message: `invalid JSON: ${(error as Error).message}` });
      return;
    }
    const parsed = GoldenCase.safeParse(json);
    if (!parsed.success) {
      errors.push({ line, message: parsed.error.issues.map((x) => `${x.path.join('.') || '(root)'}: ${x.message}`).join('; ') });
      return;
    }
    if (seen.has(parsed.data.testId)) errors.push({ line, message: `duplicate testId "${parsed.data.testId}"` });
    seen.add(parsed.data.testId);
    cases.push(parsed.data);
  });
  return errors.length ? { ok: false, errors } : { ok: true, cases };
}

/** Reads a JSONL dataset file; throws with every bad line numbered. */
export function readDataset(path: string): GoldenCase[] {
  const parsed = parseDataset(readFileSync(path, 'utf8'));
  if (!parsed.ok) throw new Error(`invalid dataset ${path}:\n${parsed.errors.map((e) => `line ${e.line}: ${e.message}`).join('\n')}`);
  return parsed.cases;
}

/** Serialises cases as JSONL (one line each, trailing newline). */
export function formatDataset(cases: readonly GoldenCase[]): string {
  return `${cases.map((c) => JSON.stringify(c)).join('\n')}\n`;
}

/** The shipped MangaAssist golden set. */
export const DEFAULT_DATASET = 'analysis/eval/datasets/mangaassist-golden.jsonl';
