import { EventStreamCodec } from '@smithy/core/event-streams';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { describe, expect, it } from 'vitest';
import type { StreamTally } from '../../stream/interface.ts';
import { EventStreamPassThrough, normaliseErrorType, stopReasonOfBody, usageOfBody } from './events.ts';

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const frame = (eventType: string, payload: unknown, messageType = 'event') =>
  codec.encode({
    headers: {
      [messageType === 'exception' ? ':exception-type' : ':event-type']: { type: 'string', value: eventType },
      ':message-type': { type: 'string', value: messageType },
      ':content-type': { type: 'string', value: 'application/json' },
    },
    body: fromUtf8(JSON.stringify(payload)),
  });
const chunk = (event: unknown) => frame('chunk', { bytes: Buffer.from(JSON.stringify(event)).toString('base64') });
const concat = (parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

/** A tally that writes down what the adapter reports. */
function recorder() {
  const facts: unknown[] = [];
  const tally: StreamTally = {
    content: () => facts.push('content'),
    usage: (inputTokens, outputTokens) => facts.push({ inputTokens, outputTokens }),
    stopReason: (reason) => facts.push({ stop: reason }),
    error: (type) => facts.push({ error: type }),
    complete: () => facts.push('complete'),
  };
  return { facts, tally };
}

describe('EventStreamPassThrough', () => {
  it('forwards only whole frames of a converse stream split at arbitrary byte boundaries, and reads usage', () => {
    const bytes = concat([
      frame('messageStart', { role: 'assistant' }),
      frame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'hi' } }),
      frame('messageStop', { stopReason: 'end_turn' }),
      frame('metadata', { usage: { inputTokens: 12, outputTokens: 34, totalTokens: 46 } }),
    ]);
    const adapter = new EventStreamPassThrough('converse-stream');
    const { facts, tally } = recorder();
    const out: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += 7) {
      const whole = adapter.push(bytes.subarray(i, i + 7), tally);
      if (whole) out.push(whole.slice());
    }
    expect(adapter.end(tally)).toBeNull();
    expect(concat(out)).toEqual(bytes);
    expect(facts).toEqual(['content', { stop: 'end_turn' }, { inputTokens: 12, outputTokens: 34 }, 'complete']);
  });

  it('reads Anthropic usage from invoke stream chunks, the last ones once the stream ends', () => {
    const adapter = new EventStreamPassThrough('invoke-with-response-stream');
    const { facts, tally } = recorder();
    adapter.push(
      concat([
        chunk({ type: 'message_start', message: { usage: { input_tokens: 9, output_tokens: 1 } } }),
        chunk({ type: 'content_block_delta', delta: { type: 'text_delta', text: 'x' } }),
        chunk({ type: 'content_block_delta', delta: { type: 'text_delta', text: 'y' } }),
        chunk({ type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 5 } }),
        chunk({ type: 'message_stop', 'amazon-bedrock-invocationMetrics': { inputTokenCount: 9, outputTokenCount: 5 } }),
      ]),
      tally,
    );
    expect(facts).toEqual([{ inputTokens: 9, outputTokens: undefined }, 'content']);
    adapter.end(tally);
    expect(facts.slice(2)).toEqual([
      { inputTokens: undefined, outputTokens: 5 },
      { stop: 'tool_use' },
      { inputTokens: 9, outputTokens: 5 },
      'complete',
    ]);
  });

  it('reports exception frames at once', () => {
    const { facts, tally } = recorder();
    new EventStreamPassThrough('invoke-with-response-stream').push(
      concat([
        chunk({ type: 'content_block_delta', delta: { type: 'text_delta', text: 'x' } }),
        frame('throttlingException', { message: 'slow down' }, 'exception'),
      ]),
      tally,
    );
    expect(facts).toEqual(['content', { error: 'ThrottlingException' }]);
  });

  it('rejects a frame whose prelude or message CRC is wrong, and a stream that ends inside a frame', () => {
    const good = frame('messageStart', { role: 'assistant' });
    const { tally } = recorder();
    const badPrelude = good.slice();
    badPrelude[9]! ^= 0xff;
    expect(() => new EventStreamPassThrough('converse-stream').push(badPrelude, tally)).toThrow(/prelude fails its CRC/);
    const badMessage = good.slice();
    badMessage[good.length - 6]! ^= 0xff;
    expect(() => new EventStreamPassThrough('converse-stream').push(badMessage, tally)).toThrow(/fails its CRC/);
    const truncated = new EventStreamPassThrough('converse-stream');
    expect(truncated.push(good.subarray(0, good.length - 3), tally)).toBeNull();
    expect(() => truncated.end(tally)).toThrow(/ended inside a frame/);
  });
});

describe('usageOfBody', () => {
  it('reads converse and invoke usage', () => {
    const enc = (v: Record<string, unknown>) => v;
    const none = () => null;
    const counts = new Headers({ 'x-amzn-bedrock-input-token-count': '7', 'x-amzn-bedrock-output-token-count': '8' });
    expect(usageOfBody('converse', none, enc({ usage: { inputTokens: 3, outputTokens: 4 } }))).toEqual({ inputTokens: 3, outputTokens: 4 });
    expect(usageOfBody('invoke', (n) => counts.get(n), enc({}))).toEqual({ inputTokens: 7, outputTokens: 8 });
    expect(usageOfBody('invoke', none, enc({ usage: { input_tokens: 1, output_tokens: 2 } }))).toEqual({ inputTokens: 1, outputTokens: 2 });
  });

  it('reads the stop reason of converse and invoke answers', () => {
    expect(stopReasonOfBody('converse', { stopReason: 'guardrail_intervened' })).toBe('guardrail_intervened');
    expect(stopReasonOfBody('invoke', { stop_reason: 'tool_use' })).toBe('tool_use');
    expect(stopReasonOfBody('converse', {})).toBeNull();
  });

  it('normalises AWS error type spellings', () => {
    expect(normaliseErrorType('ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/')).toBe('ThrottlingException');
    expect(normaliseErrorType('modelTimeoutException')).toBe('ModelTimeoutException');
  });
});

describe('prompt-cache counts', () => {
  const none = () => null;

  it('usageOfBody reads them from Converse usage, InvokeModel headers and, without headers, the Anthropic body', () => {
    const converse = { usage: { inputTokens: 3, outputTokens: 4, totalTokens: 57, cacheReadInputTokens: 40, cacheWriteInputTokens: 10 } };
    expect(usageOfBody('converse', none, converse)).toStrictEqual({
      inputTokens: 3,
      outputTokens: 4,
      cacheReadInputTokens: 40,
      cacheWriteInputTokens: 10,
    });
    const headers = new Headers({
      'x-amzn-bedrock-input-token-count': '7',
      'x-amzn-bedrock-output-token-count': '8',
      'x-amzn-bedrock-cache-read-input-token-count': '900',
      'x-amzn-bedrock-cache-write-input-token-count': '0',
    });
    const body = { usage: { input_tokens: 1, output_tokens: 2, cache_read_input_tokens: 5, cache_creation_input_tokens: 6 } };
    expect(usageOfBody('invoke', (n) => headers.get(n), body)).toStrictEqual({
      inputTokens: 7,
      outputTokens: 8,
      cacheReadInputTokens: 900,
      cacheWriteInputTokens: 0,
    });
    expect(usageOfBody('invoke', none, body)).toStrictEqual({
      inputTokens: 1,
      outputTokens: 2,
      cacheReadInputTokens: 5,
      cacheWriteInputTokens: 6,
    });
    // A count that is no number is ignored (the body's is used), and absent cache counts stay undefined.
    const bad = new Headers({ 'x-amzn-bedrock-cache-read-input-token-count': 'lots' });
    expect(usageOfBody('invoke', (n) => bad.get(n), body).cacheReadInputTokens).toBe(5);
    expect(usageOfBody('converse', none, { usage: { inputTokens: 3, outputTokens: 4 } }).cacheReadInputTokens).toBeUndefined();
  });

  /** A tally that writes down usage with its cache counts. */
  function cacheRecorder() {
    const usages: unknown[] = [];
    const tally: StreamTally = {
      content: () => {},
      usage: (inputTokens, outputTokens, cache) => usages.push({ inputTokens, outputTokens, ...cache }),
      stopReason: () => {},
      error: () => {},
      complete: () => {},
    };
    return { usages, tally };
  }

  it('a ConverseStream metadata event reports them', () => {
    const { usages, tally } = cacheRecorder();
    new EventStreamPassThrough('converse-stream').push(
      frame('metadata', { usage: { inputTokens: 12, outputTokens: 34, cacheReadInputTokens: 500, cacheWriteInputTokens: 0 } }),
      tally,
    );
    expect(usages).toEqual([{ inputTokens: 12, outputTokens: 34, read: 500, write: 0 }]);
  });

  it('an invoke stream reports them from message_start (its output placeholder ignored), message_delta and the invocation metrics', () => {
    const { usages, tally } = cacheRecorder();
    const adapter = new EventStreamPassThrough('invoke-with-response-stream');
    adapter.push(
      concat([
        chunk({
          type: 'message_start',
          message: { usage: { input_tokens: 9, output_tokens: 1, cache_creation_input_tokens: 1200, cache_read_input_tokens: 0 } },
        }),
        chunk({ type: 'content_block_delta', delta: { type: 'text_delta', text: 'x' } }),
        chunk({ type: 'message_delta', usage: { output_tokens: 5, cache_creation_input_tokens: 1200 } }),
        chunk({
          type: 'message_stop',
          'amazon-bedrock-invocationMetrics': {
            inputTokenCount: 9,
            outputTokenCount: 5,
            cacheReadInputTokenCount: 0,
            cacheWriteInputTokenCount: 1200,
          },
        }),
      ]),
      tally,
    );
    adapter.end(tally);
    expect(usages).toEqual([
      { inputTokens: 9, outputTokens: undefined, read: 0, write: 1200 },
      { inputTokens: undefined, outputTokens: 5, read: undefined, write: 1200 },
      { inputTokens: 9, outputTokens: 5, read: 0, write: 1200 },
    ]);
  });
});
