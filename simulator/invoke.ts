import { answerDeltas, answerText, type Answer } from './answer.ts';
import type { FaultSpec } from './control.ts';
import { eventFrame, streamErrorFrame } from './event-stream.ts';
import type { ScheduledFrame } from './timing.ts';

/** The model name Anthropic reports for a Bedrock model id (`claude-3-5-haiku-20241022`). */
export function anthropicModelName(modelId: string): string {
  return modelId.replace(/^(?:[a-z-]+\.)?anthropic\./, '').replace(/-v\d+:\d+$/, '');
}

/** The Anthropic messages response of InvokeModel. */
export function invokeBody(answer: Answer): unknown {
  return {
    id: messageId(answer),
    type: 'message',
    role: 'assistant',
    model: anthropicModelName(answer.modelId),
    content: [{ type: 'text', text: answerText(answer) }],
    stop_reason: answer.stopReason,
    stop_sequence: null,
    usage: { input_tokens: answer.inputTokens, ...anthropicCache(answer), output_tokens: answer.outputTokens },
  };
}

/** Anthropic's cache counts of an answer to a request with `cache_control` (none otherwise). */
function anthropicCache(answer: Answer): Record<string, number> {
  if (!answer.cache) return {};
  return {
    cache_creation_input_tokens: answer.cache.cacheWriteInputTokens,
    cache_read_input_tokens: answer.cache.cacheReadInputTokens,
  };
}

/** InvokeModel's usage headers. */
export function invokeHeaders(answer: Answer): Record<string, string> {
  return {
    'x-amzn-bedrock-input-token-count': String(answer.inputTokens),
    'x-amzn-bedrock-output-token-count': String(answer.outputTokens),
    ...(answer.cache
      ? {
          'x-amzn-bedrock-cache-read-input-token-count': String(answer.cache.cacheReadInputTokens),
          'x-amzn-bedrock-cache-write-input-token-count': String(answer.cache.cacheWriteInputTokens),
        }
      : {}),
    'x-amzn-bedrock-invocation-latency': String(Math.round(answer.latencyMs)),
  };
}

/** InvokeModelWithResponseStream `chunk` frames carrying Anthropic streaming events, or up to an injected `stream-error`. */
export function* invokeStreamFrames(answer: Answer, fault: FaultSpec | null): Generator<ScheduledFrame> {
  yield chunk(0, {
    type: 'message_start',
    message: {
      id: messageId(answer),
      type: 'message',
      role: 'assistant',
      model: anthropicModelName(answer.modelId),
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: answer.inputTokens, ...anthropicCache(answer), output_tokens: 1 },
    },
  });
  yield chunk(0, { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
  const deltas = answerDeltas(answer);
  const breakAfter = fault?.kind === 'stream-error' ? (fault.afterDeltas ?? 2) : Infinity;
  for (let i = 0; i < deltas.length && i < breakAfter; i++) {
    const delta = deltas[i]!;
    yield {
      ...chunk(delta.atMs, { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: delta.text } }),
      content: true,
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
  yield chunk(end, { type: 'content_block_stop', index: 0 });
  yield chunk(end, {
    type: 'message_delta',
    delta: { stop_reason: answer.stopReason, stop_sequence: null },
    usage: answer.cache
      ? { input_tokens: answer.inputTokens, ...anthropicCache(answer), output_tokens: answer.outputTokens }
      : { output_tokens: answer.outputTokens },
  });
  yield chunk(end, {
    type: 'message_stop',
    'amazon-bedrock-invocationMetrics': {
      inputTokenCount: answer.inputTokens,
      outputTokenCount: answer.outputTokens,
      ...(answer.cache
        ? { cacheReadInputTokenCount: answer.cache.cacheReadInputTokens, cacheWriteInputTokenCount: answer.cache.cacheWriteInputTokens }
        : {}),
      invocationLatency: Math.round(answer.latencyMs),
      firstByteLatency: Math.round(answer.ttftMs),
    },
  });
}

function chunk(atMs: number, event: unknown): ScheduledFrame {
  return { atMs, bytes: eventFrame('chunk', { bytes: Buffer.from(JSON.stringify(event)).toString('base64') }) };
}

function messageId(answer: Answer): string {
  return `msg_bdrk_${answer.requestId.replace(/-/g, '').slice(0, 24)}`;
}
