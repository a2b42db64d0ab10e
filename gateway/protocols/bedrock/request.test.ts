import { describe, expect, it } from 'vitest';
import { GatewayConfig } from '../../../schema/config.ts';
import { GatewayError } from '../../errors.ts';
import { applyConfig, parseBody, parseOperation, routingInputs } from './request.ts';

const cfg = GatewayConfig.parse({
  pricing: { m: { inputPer1k: 1, outputPer1k: 2 } },
  systemPrompts: { v2: 'You are MangaAssist.' },
  configs: [
    { id: 'full', upstream: { provider: 'bedrock', modelId: 'm' }, maxTokens: 300, temperature: 0.2, topP: 0.8, systemPromptVersion: 'v2' },
    { id: 'bare', upstream: { provider: 'bedrock', modelId: 'm' }, maxTokens: 50 },
  ],
});
const [full, bare] = cfg.configs as [GatewayConfig['configs'][0], GatewayConfig['configs'][0]];
const messages = [{ role: 'user', content: [{ text: 'hi' }] }];

describe('applyConfig', () => {
  it('replaces Converse inference settings and puts the system prompt first', () => {
    const out = applyConfig(
      'converse',
      {
        messages,
        system: [{ text: 'page: One Piece vol. 1' }],
        inferenceConfig: { maxTokens: 4000, temperature: 1, stopSequences: ['END'] },
      },
      full,
      cfg,
    );
    expect(out.inferenceConfig).toEqual({ maxTokens: 300, temperature: 0.2, topP: 0.8, stopSequences: ['END'] });
    expect(out.system).toEqual([{ text: 'You are MangaAssist.' }, { text: 'page: One Piece vol. 1' }]);
    expect(out.messages).toBe(messages);
  });

  it('leaves the client values a configuration does not set', () => {
    const out = applyConfig('converse-stream', { messages, inferenceConfig: { temperature: 0.7 } }, bare, cfg);
    expect(out.inferenceConfig).toEqual({ maxTokens: 50, temperature: 0.7 });
    expect(out.system).toBeUndefined();
  });

  it('sets the Anthropic body fields for invoke, prepending to a string or block system prompt', () => {
    expect(applyConfig('invoke', { messages, max_tokens: 9, system: 'be brief' }, full, cfg)).toMatchObject({
      anthropic_version: 'bedrock-2023-05-31',
      max_tokens: 300,
      temperature: 0.2,
      top_p: 0.8,
      system: 'You are MangaAssist.\n\nbe brief',
    });
    const blocks = applyConfig(
      'invoke-with-response-stream',
      { messages, anthropic_version: 'x', system: [{ type: 'text', text: 'b' }] },
      full,
      cfg,
    );
    expect(blocks.system).toEqual([
      { type: 'text', text: 'You are MangaAssist.' },
      { type: 'text', text: 'b' },
    ]);
    expect(blocks.anthropic_version).toBe('x');
  });
});

describe('parsing', () => {
  it('names unknown operations and bad bodies', () => {
    expect(() => parseOperation('chat')).toThrow(/unknown operation "chat"/);
    expect(() => parseBody('converse', '[1')).toThrow(GatewayError);
    expect(() => parseBody('converse', '{"messages": "hi"}')).toThrow(/messages/);
    expect(() => parseBody('invoke', '{"messages": [{"content": "x"}]}')).toThrow(/messages\.0\.role/);
    expect(parseBody('converse', JSON.stringify({ messages, extra: 1 }))).toMatchObject({ extra: 1 });
  });

  it('takes intent and session from requestMetadata first, then headers', () => {
    const headers = new Headers({ 'x-intent': 'faq', 'x-session-id': 'h' });
    expect(routingInputs({ messages, requestMetadata: { intent: 'chitchat', session_id: 'm' } }, headers)).toEqual({
      intent: 'chitchat',
      sessionId: 'm',
    });
    expect(routingInputs({ messages }, headers)).toEqual({ intent: 'faq', sessionId: 'h' });
    expect(routingInputs({ messages }, new Headers())).toEqual({ intent: null, sessionId: null });
  });
});
