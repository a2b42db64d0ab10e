import type { GoldenCase } from './dataset.ts';

/** A Converse request's system text and its single user message. */
export interface EvalPrompt {
  system: string;
  user: string;
}

/**
 * Builds the retrieval-augmented prompt of a case, in the tagged layout MangaAssist's orchestrator sends:
 * intent, page context, earlier turns, retrieved catalogue lines, then the question. The model sees the
 * facts only through `<catalogue_context>`; nothing marks which lines matter or what would be wrong.
 */
export function buildPrompt(c: GoldenCase): EvalPrompt {
  const page = Object.entries(c.pageContext).map(([key, value]) => `${key}: ${Array.isArray(value) ? value.join('; ') : value}`);
  const history = c.conversationHistory.map((t) => `${t.role}: ${t.text}`);
  const user = [
    `<intent>${c.intent}</intent>`,
    section('page_context', page),
    section('conversation_history', history),
    section(
      'catalogue_context',
      c.context.map((line) => `- ${line}`),
    ),
    section('question', [c.query]),
  ].join('\n');
  const system = `Answer the shopper as MangaAssist using only the catalogue context. Keep the answer within ${c.tokenBudget} tokens.`;
  return { system, user };
}

function section(tag: string, lines: readonly string[]): string {
  return `<${tag}>\n${lines.join('\n')}\n</${tag}>`;
}
