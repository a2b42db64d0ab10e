import { describe, expect, it } from 'vitest';
import { AnswerCapture, answerTextOf, MAX_TEXT_CHARS, promptOf } from './texts.ts';

const encoder = new TextEncoder();
const bytes = (s: string) => encoder.encode(s);

describe('promptOf', () => {
  it('reads the last user message of Converse, Chat Completions and Anthropic bodies', () => {
    const converse = {
      messages: [
        { role: 'user', content: [{ text: 'first' }] },
        { role: 'assistant', content: [{ text: 'a' }] },
        { role: 'user', content: [{ text: 'sec' }, { text: 'ond' }] },
      ],
    };
    expect(promptOf(JSON.stringify(converse))).toBe('second');
    expect(
      promptOf(
        JSON.stringify({
          messages: [
            { role: 'system', content: 's' },
            { role: 'user', content: 'chat question' },
          ],
        }),
      ),
    ).toBe('chat question');
    expect(promptOf(JSON.stringify({ messages: [{ role: 'user', content: [{ type: 'text', text: 'anthropic' }] }] }))).toBe('anthropic');
    expect(promptOf(JSON.stringify({ messages: [{ role: 'user', content: 'x'.repeat(MAX_TEXT_CHARS + 10) }] }))!.length).toBe(
      MAX_TEXT_CHARS,
    );
  });

  it('is null for a body without a user message or that is no JSON', () => {
    expect(promptOf('not json')).toBeNull();
    expect(promptOf('{"messages": "no"}')).toBeNull();
    expect(promptOf(JSON.stringify({ messages: [{ role: 'assistant', content: 'only me' }] }))).toBeNull();
  });
});

describe('answerTextOf', () => {
  it('decodes whole Converse and Chat Completions answers', () => {
    const converse = {
      output: { message: { role: 'assistant', content: [{ text: 'Hello' }] } },
      stopReason: 'end_turn',
      usage: { inputTokens: 1, outputTokens: 1 },
    };
    expect(answerTextOf(bytes(JSON.stringify(converse)), 'bedrock', 'converse')).toBe('Hello');
    const chat = {
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hi there' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 1, completion_tokens: 2 },
    };
    expect(answerTextOf(bytes(JSON.stringify(chat)), 'openai', 'chat-completions')).toBe('Hi there');
    // A Converse client answered by an OpenAI-compatible configuration: the upstream bytes are Chat Completions.
    expect(answerTextOf(bytes(JSON.stringify(chat)), 'openai', 'converse')).toBe('Hi there');
  });

  it('decodes a streamed Chat Completions answer, and is null for invoke bodies, garbage and a missing capture', () => {
    const sse = [
      'data: {"choices":[{"index":0,"delta":{"content":"Hel"}}]}',
      'data: {"choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}]}',
      'data: {"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}}',
      'data: [DONE]',
      '',
    ].join('\n\n');
    expect(answerTextOf(bytes(sse), 'openai', 'chat-completions-stream')).toBe('Hello');
    expect(answerTextOf(bytes('{"content":[{"type":"text","text":"x"}]}'), 'bedrock', 'invoke')).toBeNull();
    expect(answerTextOf(bytes('not json'), 'bedrock', 'converse')).toBeNull();
    expect(answerTextOf(null, 'bedrock', 'converse')).toBeNull();
  });
});

describe('AnswerCapture', () => {
  it('keeps copies of the chunks up to its cap, and nothing once past it', () => {
    const capture = new AnswerCapture(8);
    const chunk = bytes('abcd');
    capture.tap(chunk);
    chunk[0] = 0x7a;
    capture.tap(bytes('efgh'));
    expect(new TextDecoder().decode(capture.bytes()!)).toBe('abcdefgh');
    capture.tap(bytes('i'));
    expect(capture.overflowed).toBe(true);
    expect(capture.bytes()).toBeNull();
  });
});
