import { describe, expect, it } from 'vitest';
import { chatUpstreamCodec, chunkEvents } from './chat-codec.ts';
import { chatToCanonical } from './chat-request.ts';
import { chatUsageOf } from './chat-usage.ts';
import { parseChatBody } from './request.ts';

describe('Chat Completions usage and the prompt cache', () => {
  it('takes cached tokens out of prompt_tokens (Bedrock convention: input excludes cache reads)', () => {
    expect(chatUsageOf({ prompt_tokens: 2100, completion_tokens: 50, prompt_tokens_details: { cached_tokens: 2000 } })).toStrictEqual({
      inputTokens: 100,
      outputTokens: 50,
      cacheReadInputTokens: 2000,
    });
    // No details: nothing is said about the cache. Null details or counts likewise.
    expect(chatUsageOf({ prompt_tokens: 30, completion_tokens: 5 })).toStrictEqual({ inputTokens: 30, outputTokens: 5 });
    expect(chatUsageOf({ prompt_tokens: 30, completion_tokens: 5, prompt_tokens_details: null })).toStrictEqual({
      inputTokens: 30,
      outputTokens: 5,
    });
    expect(chatUsageOf({ prompt_tokens: 30, prompt_tokens_details: { cached_tokens: null } })).toStrictEqual({
      inputTokens: 30,
      outputTokens: 0,
    });
  });

  it('whole answers and the usage chunk of a stream both report them', () => {
    const usage = {
      prompt_tokens: 2100,
      completion_tokens: 50,
      total_tokens: 2150,
      prompt_tokens_details: { cached_tokens: 2000, audio_tokens: 0 },
    };
    const decoded = chatUpstreamCodec.decode({ choices: [{ message: { content: 'ok' }, finish_reason: 'stop' }], usage }, () => null);
    expect(decoded.usage).toStrictEqual({ inputTokens: 100, outputTokens: 50, cacheReadInputTokens: 2000 });
    expect(chunkEvents(JSON.stringify({ choices: [], usage }))).toEqual([
      { type: 'usage', inputTokens: 100, outputTokens: 50, cacheReadInputTokens: 2000 },
    ]);
  });

  it('cache_control on a part marks a cache point of its message (system messages: after the system prompt)', () => {
    const body = parseChatBody(
      JSON.stringify({
        model: 'r',
        messages: [
          { role: 'system', content: [{ type: 'text', text: 'policy', cache_control: { type: 'ephemeral' } }] },
          { role: 'user', content: [{ type: 'text', text: 'catalogue', cache_control: { type: 'ephemeral' } }] },
          { role: 'user', content: 'question' },
        ],
      }),
    );
    const request = chatToCanonical(body);
    expect(request.systemCachePoint).toBe(true);
    expect(request.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'catalogue' }], cachePoint: true },
      { role: 'user', content: [{ type: 'text', text: 'question' }] },
    ]);
  });
});
