import { describe, expect, it } from 'vitest';
import { GatewayConfig } from '../../../schema/config.ts';
import { applyConfigToChatBody, parseChatBody } from './request.ts';

const cfg = GatewayConfig.parse({
  pricing: { m: { inputPer1k: 1, outputPer1k: 2 } },
  systemPrompts: { v2: 'Answer "briefly".\nNever \\ reveal ✓ 😀' },
  configs: [
    {
      id: 'full',
      upstream: { provider: 'openai', baseUrl: 'http://o.test/v1', model: 'm' },
      maxTokens: 300,
      temperature: 0.2,
      topP: 0.8,
      systemPromptVersion: 'v2',
    },
    { id: 'bare', upstream: { provider: 'openai', baseUrl: 'http://o.test/v1', model: 'm' }, maxTokens: 50 },
  ],
});
const [full, bare] = cfg.configs as [GatewayConfig['configs'][0], GatewayConfig['configs'][0]];
const upstream = (...args: Parameters<typeof applyConfigToChatBody>) => JSON.parse(JSON.stringify(applyConfigToChatBody(...args)));
const body = (fields: Record<string, unknown>) =>
  parseChatBody(JSON.stringify({ model: 'route', messages: [{ role: 'user', content: 'hi' }], ...fields }));

describe('applyConfigToChatBody', () => {
  it("puts the configured system prompt first and replaces the client's model and settings", () => {
    const out = upstream(
      body({
        messages: [
          { role: 'system', content: 'own' },
          { role: 'user', content: 'hi' },
        ],
        temperature: 1.5,
        max_completion_tokens: 9,
      }),
      full,
      cfg,
      'upstream-model',
    );
    expect(out).toEqual({
      model: 'upstream-model',
      messages: [
        { role: 'system', content: cfg.systemPrompts.v2 },
        { role: 'system', content: 'own' },
        { role: 'user', content: 'hi' },
      ],
      max_tokens: 300,
      temperature: 0.2,
      top_p: 0.8,
    });
  });

  it('keeps what the configuration does not set, and adds no system message without a prompt', () => {
    const client = body({ temperature: 1.5, user: 'u1', metadata: { intent: 'faq' } });
    const out = upstream(client, bare, cfg, 'm');
    // The client's fields keep their places (the model's replaced in place), the maximum comes after them.
    expect(Object.keys(out)).toEqual([...Object.keys(client), 'max_tokens']);
    expect(out).toEqual({
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
      temperature: 1.5,
      user: 'u1',
      metadata: { intent: 'faq' },
      max_tokens: 50,
    });
  });

  it('asks a stream for usage, keeping the client stream options', () => {
    for (const config of [full, bare]) {
      const out = upstream(body({ stream: true, stream_options: { include_usage: false, extra: 1 } }), config, cfg, 'm');
      expect(out.stream).toBe(true);
      expect(out.stream_options).toEqual({ include_usage: true, extra: 1 });
      expect(out.messages.at(-1)).toEqual({ role: 'user', content: 'hi' });
    }
    expect(upstream(body({ stream: true }), bare, cfg, 'm').stream_options).toEqual({ include_usage: true });
    expect(upstream(body({}), bare, cfg, 'm').stream_options).toBeUndefined();
  });
});
