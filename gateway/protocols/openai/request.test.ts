import { describe, expect, it } from 'vitest';
import { GatewayConfig } from '../../../schema/config.ts';
import { applyConfigToChatBody, ChatBody, parseChatBody, plainChatBody } from './request.ts';

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

describe('plainChatBody', () => {
  /** A small seeded generator (mulberry32): the same bodies on every run. */
  function random(seed: number): () => number {
    let a = seed;
    return () => {
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  const next = random(18);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)]!;
  /** A value for a field: mostly a valid one, else a wrong one or none (so that a body is wrong in one or two places). */
  const field = (valid: readonly unknown[], wrong: readonly unknown[]): unknown =>
    next() < 0.9 ? pick(valid) : next() < 0.6 ? pick(wrong) : pick([undefined, null]);
  const ANY = [0, -1, 1.5, 3, 2 ** 53, '', 'x', true, false, [], ['a'], [1], {}, { type: 'function' }, { __proto__: null }];
  const part = (): unknown =>
    pick([
      { type: 'text', text: 'hi' },
      { type: 'text' },
      { type: 'image_url', image_url: { url: 'u' } },
      { text: 'no type' },
      { type: 'text', text: null },
      'text',
      null,
    ]);
  const message = (): unknown => {
    const m: Record<string, unknown> = {
      role: field(['user', 'system', 'assistant', 'tool'], [1, null, {}]),
      content: field(['hello', '', Array.from({ length: Math.floor(next() * 3) }, part)], [1, {}, true]),
      tool_calls: field([[], [{ id: 'c' }]], ['x', {}, 1]),
      tool_call_id: field(['c1'], [1, {}]),
      extra: pick([undefined, 'kept', { nested: true }]),
    };
    if (next() < 0.05) return pick(['text', null, [], 1]);
    return m;
  };
  const body = (): Record<string, unknown> => ({
    model: field(['route', 'config:x', 'bedrock/m'], ['', 1, null, {}]),
    messages: next() < 0.9 ? Array.from({ length: Math.floor(next() * 4) }, message) : pick(ANY),
    stream: field([true, false], ANY),
    stream_options: field(
      [{ include_usage: true }, { include_usage: false }, {}, { include_usage: null, other: 1 }],
      [{ include_usage: 'yes' }, ...ANY],
    ),
    max_tokens: field([1, 512, 2 ** 31], [0, -1, 1.5, 2 ** 53, '5', ...ANY]),
    max_completion_tokens: field([1, 64], [0, 2.5, '5']),
    temperature: field([0, 0.7, 2], [-0.1, 2.1, '1', ...ANY]),
    top_p: field([0, 0.5, 1], [1.01, -1, '0.5']),
    stop: field(['\n', [], ['a', 'b']], [[1], 1, {}]),
    metadata: field([{}, { intent: 'faq' }, { intent: 'faq', session_id: 's' }], [{ intent: 1 }, [], 'x', { a: null }]),
    user: field(['u1'], [1, {}]),
    tools: field([[], [{ type: 'function' }]], [{}, 'x']),
    tool_choice: field(['none', 'auto', 'required', { type: 'function', function: { name: 'f' } }], ['any', { type: 'other' }, {}, 1]),
    functions: pick([undefined, [], 'anything']),
    function_call: pick([undefined, 'auto', {}]),
    unknown_field: pick([undefined, 1, { deep: [1, 2] }]),
  });

  it('accepts only what the schema accepts, as the schema reads it, and most valid bodies', () => {
    let accepted = 0;
    let valid = 0;
    for (let i = 0; i < 4000; i++) {
      // Through JSON, as a request body comes: undefined fields are dropped.
      const json = JSON.parse(JSON.stringify(body())) as unknown;
      const plain = plainChatBody(json);
      const checked = ChatBody.safeParse(json);
      if (checked.success) valid++;
      if (plain === undefined) continue;
      accepted++;
      expect(checked.success, JSON.stringify(json)).toBe(true);
      expect(plain).toStrictEqual(checked.data);
    }
    expect(valid).toBeGreaterThan(100);
    // Every body the schema takes that has none of the rare shapes (own __proto__) is taken.
    expect(accepted).toBe(valid);
  });

  it('leaves objects with an own __proto__ key, and every refusal, to the schema', () => {
    const ok = { model: 'r', messages: [{ role: 'user', content: 'hi' }] };
    expect(plainChatBody(ok)).toBe(ok);
    for (const text of [
      '{"model":"r","messages":[{"role":"user","content":"hi"}],"metadata":{"__proto__":"x"}}',
      '{"model":"r","messages":[{"role":"user","content":"hi"}],"__proto__":{"x":1}}',
      '{"model":"r","messages":[{"role":"user","content":"hi","__proto__":{"x":1}}]}',
      '[]',
      '"text"',
      'null',
    ]) {
      expect(plainChatBody(JSON.parse(text)), text).toBe(undefined);
    }
    expect(plainChatBody({ ...ok, messages: [] })).toBe(undefined);
    expect(() => parseChatBody(JSON.stringify({ ...ok, messages: [] }))).toThrow('messages: messages must not be empty');
    expect(() => parseChatBody(JSON.stringify({ ...ok, temperature: 3 }))).toThrow(/^temperature: /);
  });
});
