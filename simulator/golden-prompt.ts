/**
 * Reading the tagged retrieval-augmented prompt layout (`<intent>`, `<page_context>`,
 * `<conversation_history>`, `<catalogue_context>`, `<question>`) and the judge rubric layout
 * (`<question>`, `<reference_answer>`, `<graded_answer>`), as a RAG model reads its prompt.
 */

/** A parsed retrieval-augmented prompt. */
export interface GoldenPrompt {
  intent: string | null;
  /** `key: value` lines of the page context; list values are split on `; `. */
  page: Record<string, string[]>;
  history: string[];
  /** Retrieved catalogue lines, without their list markers. */
  context: string[];
  question: string;
}

/** A parsed judge rubric prompt. */
export interface JudgePrompt {
  question: string;
  reference: string;
  graded: string;
}

function tagged(text: string, tag: string): string | null {
  const m = new RegExp(`<${tag}>\\n?([\\s\\S]*?)\\n?</${tag}>`).exec(text);
  return m ? m[1]! : null;
}

function lines(block: string | null): string[] {
  return (block ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

/** The retrieval prompt in `text`, or null when it does not follow the layout. */
export function parseGoldenPrompt(text: string): GoldenPrompt | null {
  const context = tagged(text, 'catalogue_context');
  const question = tagged(text, 'question');
  if (context === null || question === null || tagged(text, 'graded_answer') !== null) return null;
  const page: Record<string, string[]> = {};
  for (const line of lines(tagged(text, 'page_context'))) {
    const at = line.indexOf(':');
    if (at > 0)
      page[line.slice(0, at).trim()] = line
        .slice(at + 1)
        .split(';')
        .map((v) => v.trim())
        .filter(Boolean);
  }
  return {
    intent: tagged(text, 'intent')?.trim() || null,
    page,
    history: lines(tagged(text, 'conversation_history')),
    context: lines(context).map((l) => l.replace(/^-\s*/, '')),
    question: question.trim(),
  };
}

/** The judge prompt in `text`, or null when it does not follow the rubric layout. */
export function parseJudgePrompt(text: string): JudgePrompt | null {
  const graded = tagged(text, 'graded_answer');
  const reference = tagged(text, 'reference_answer');
  if (graded === null || reference === null) return null;
  return { question: (tagged(text, 'question') ?? '').trim(), reference: reference.trim(), graded: graded.trim() };
}
