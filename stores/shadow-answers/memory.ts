import type { ShadowAnswer, ShadowAnswerSink, ShadowAnswerSource } from './interface.ts';

/** Shadowed pairs in memory (tests, runtimes without a database). */
export class MemoryShadowAnswers implements ShadowAnswerSink, ShadowAnswerSource {
  readonly answers: ShadowAnswer[] = [];

  record(answer: ShadowAnswer): void {
    if (!this.answers.some((a) => a.shadowRequestId === answer.shadowRequestId)) this.answers.push(answer);
  }

  list(since = 0): ShadowAnswer[] {
    return this.answers.filter((a) => a.time >= since);
  }
}
