import { answerDeltas, answerText, type Answer } from './answer.ts';
import type { FaultSpec } from './control.ts';
import { eventFrame, streamErrorFrame } from './event-stream.ts';
import type { ScheduledFrame } from './timing.ts';

/** The Converse response body. */
export function converseBody(answer: Answer): unknown {
  return {
    output: { message: { role: 'assistant', content: [{ text: answerText(answer) }] } },
    stopReason: answer.stopReason,
    usage: usageOf(answer),
    metrics: { latencyMs: Math.round(answer.latencyMs) },
  };
}

/** The ConverseStream event frames, or the frames up to an injected `stream-error`. */
export function* converseStreamFrames(answer: Answer, fault: FaultSpec | null): Generator<ScheduledFrame> {
  yield { atMs: 0, bytes: eventFrame('messageStart', { role: 'assistant' }) };
  const deltas = answerDeltas(answer);
  const breakAfter = fault?.kind === 'stream-error' ? (fault.afterDeltas ?? 2) : Infinity;
  for (let i = 0; i < deltas.length; i++) {
    const delta = deltas[i]!;
    if (i === breakAfter) break;
    yield {
      atMs: delta.atMs,
      content: true,
      bytes: eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: delta.text } }),
    };
  }
  if (fault?.kind === 'stream-error') {
    yield streamErrorFrame(
      fault,
      deltas.map((d) => d.atMs),
      breakAfter,
      answer.ttftMs,
    );
    return;
  }
  const end = answer.latencyMs;
  yield { atMs: end, bytes: eventFrame('contentBlockStop', { contentBlockIndex: 0 }) };
  yield { atMs: end, bytes: eventFrame('messageStop', { stopReason: answer.stopReason }) };
  yield { atMs: end, bytes: eventFrame('metadata', { usage: usageOf(answer), metrics: { latencyMs: Math.round(answer.latencyMs) } }) };
}

/** Converse usage: with cache points, the cache reads and writes too (`inputTokens` excludes them, `totalTokens` counts them). */
function usageOf(answer: Answer): Record<string, number> {
  const cache = answer.cache;
  if (!cache) {
    return { inputTokens: answer.inputTokens, outputTokens: answer.outputTokens, totalTokens: answer.inputTokens + answer.outputTokens };
  }
  const total = answer.inputTokens + answer.outputTokens + cache.cacheReadInputTokens + cache.cacheWriteInputTokens;
  return { inputTokens: answer.inputTokens, outputTokens: answer.outputTokens, totalTokens: total, ...cache };
}
