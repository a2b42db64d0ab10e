import { answerDeltas, answerText, toolInputPieces, type Answer } from './answer.ts';
import type { FaultSpec } from './control.ts';
import { eventFrame, streamErrorFrame } from './event-stream.ts';
import type { ScheduledFrame } from './timing.ts';

/** The Converse response body (a `toolUse` block for a tool call; `trace` when the guardrail traced). */
export function converseBody(answer: Answer): unknown {
  const call = answer.toolCall;
  const content = call ? [{ toolUse: { toolUseId: call.id, name: call.name, input: call.input } }] : [{ text: answerText(answer) }];
  return {
    output: { message: { role: 'assistant', content } },
    stopReason: answer.stopReason,
    usage: usageOf(answer),
    metrics: { latencyMs: Math.round(answer.latencyMs) },
    ...(answer.trace ? { trace: answer.trace } : {}),
  };
}

/** The ConverseStream event frames, or the frames up to an injected `stream-error`. */
export function* converseStreamFrames(answer: Answer, fault: FaultSpec | null): Generator<ScheduledFrame> {
  yield { atMs: 0, bytes: eventFrame('messageStart', { role: 'assistant' }) };
  const call = answer.toolCall;
  if (call) {
    yield {
      atMs: answer.ttftMs,
      content: true,
      bytes: eventFrame('contentBlockStart', { contentBlockIndex: 0, start: { toolUse: { toolUseId: call.id, name: call.name } } }),
    };
    for (const piece of toolInputPieces(call))
      yield { atMs: answer.ttftMs, bytes: eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { toolUse: { input: piece } } }) };
  }
  const deltas = call ? [] : answerDeltas(answer);
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
  const metadata = {
    usage: usageOf(answer),
    metrics: { latencyMs: Math.round(answer.latencyMs) },
    ...(answer.trace ? { trace: answer.trace } : {}),
  };
  yield { atMs: end, bytes: eventFrame('contentBlockStop', { contentBlockIndex: 0 }) };
  yield { atMs: end, bytes: eventFrame('messageStop', { stopReason: answer.stopReason }) };
  yield { atMs: end, bytes: eventFrame('metadata', metadata) };
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
