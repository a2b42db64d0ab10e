import { EventStreamCodec } from '@smithy/core/event-streams';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { describe, expect, it } from 'vitest';
import { BedrockStreamParser, normaliseErrorType, usageOfBody } from './events.ts';

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

describe('BedrockStreamParser', () => {
  it('reads usage from a converse stream split at arbitrary byte boundaries', () => {
    const bytes = concat([
      frame('messageStart', { role: 'assistant' }),
      frame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'hi' } }),
      frame('messageStop', { stopReason: 'end_turn' }),
      frame('metadata', { usage: { inputTokens: 12, outputTokens: 34, totalTokens: 46 } }),
    ]);
    const parser = new BedrockStreamParser('converse-stream');
    const events = [];
    for (let i = 0; i < bytes.length; i += 7) events.push(...parser.push(bytes.subarray(i, i + 7)));
    expect(events.map((e) => e.kind)).toEqual(['other', 'content', 'other', 'usage']);
    expect(events[3]).toEqual({ kind: 'usage', inputTokens: 12, outputTokens: 34 });
  });

  it('reads Anthropic usage from invoke stream chunks, the last ones once the stream ends', () => {
    const parser = new BedrockStreamParser('invoke-with-response-stream');
    const events = parser.push(concat([
      chunk({ type: 'message_start', message: { usage: { input_tokens: 9, output_tokens: 1 } } }),
      chunk({ type: 'content_block_delta', delta: { type: 'text_delta', text: 'x' } }),
      chunk({ type: 'content_block_delta', delta: { type: 'text_delta', text: 'y' } }),
      chunk({ type: 'message_delta', usage: { output_tokens: 5 } }),
      chunk({ type: 'message_stop', 'amazon-bedrock-invocationMetrics': { inputTokenCount: 9, outputTokenCount: 5 } }),
    ]));
    expect(events).toEqual([{ kind: 'usage', inputTokens: 9 }, { kind: 'content' }]);
    expect(parser.end()).toEqual([{ kind: 'usage', outputTokens: 5 }, { kind: 'usage', inputTokens: 9, outputTokens: 5 }]);
  });

  it('reports exception frames at once', () => {
    const parser = new BedrockStreamParser('invoke-with-response-stream');
    const events = parser.push(concat([
      chunk({ type: 'content_block_delta', delta: { type: 'text_delta', text: 'x' } }),
      frame('throttlingException', { message: 'slow down' }, 'exception'),
    ]));
    expect(events).toEqual([{ kind: 'content' }, { kind: 'error', errorType: 'ThrottlingException', message: 'slow down' }]);
  });

  it('rejects a frame whose lengths cannot be right', () => {
    const bad = new Uint8Array(16);
    new DataView(bad.buffer).setUint32(0, 8);
    expect(() => new BedrockStreamParser('converse-stream').push(bad)).toThrow(/malformed/);
  });
});

describe('usageOfBody', () => {
  it('reads converse and invoke usage', () => {
    const enc = (v: unknown) => fromUtf8(JSON.stringify(v));
    const none = () => null;
    const counts = new Headers({ 'x-amzn-bedrock-input-token-count': '7', 'x-amzn-bedrock-output-token-count': '8' });
    expect(usageOfBody('converse', none, enc({ usage: { inputTokens: 3, outputTokens: 4 } }))).toEqual({ inputTokens: 3, outputTokens: 4 });
    expect(usageOfBody('invoke', (n) => counts.get(n), enc({}))).toEqual({ inputTokens: 7, outputTokens: 8 });
    expect(usageOfBody('invoke', none, enc({ usage: { input_tokens: 1, output_tokens: 2 } }))).toEqual({ inputTokens: 1, outputTokens: 2 });
  });

  it('normalises AWS error type spellings', () => {
    expect(normaliseErrorType('ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/')).toBe('ThrottlingException');
    expect(normaliseErrorType('modelTimeoutException')).toBe('ModelTimeoutException');
  });
});
