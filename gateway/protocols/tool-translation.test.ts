import { EventStreamCodec } from '@smithy/core/event-streams';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { describe, expect, it } from 'vitest';
import type { ChatEvent } from '../canonical.ts';
import { GatewayError } from '../errors.ts';
import { MalformedUpstream } from '../stream/interface.ts';
import { converseClientCodec, converseUpstreamCodec } from './bedrock/converse-codec.ts';
import { converseToChat } from './bedrock/converse-request.ts';
import { FrameSplitter } from './bedrock/frames.ts';
import { chatClientCodec, chatUpstreamCodec } from './openai/chat-codec.ts';
import { chatToCanonical } from './openai/chat-request.ts';
import { ChatBody } from './openai/request.ts';

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const text = new TextDecoder();
const event = (type: string, payload: unknown) =>
  codec.encode({
    headers: {
      ':event-type': { type: 'string', value: type },
      ':message-type': { type: 'string', value: 'event' },
      ':content-type': { type: 'string', value: 'application/json' },
    },
    body: fromUtf8(JSON.stringify(payload)),
  });
const concat = (parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

/** Feeds bytes to a decoder in small pieces (units split across chunks), then ends it. */
function decodeAll(decoder: { push(c: Uint8Array): ChatEvent[]; end(): ChatEvent[] }, bytes: Uint8Array, step = 5): ChatEvent[] {
  const events: ChatEvent[] = [];
  for (let i = 0; i < bytes.length; i += step) events.push(...decoder.push(bytes.subarray(i, i + step)));
  return [...events, ...decoder.end()];
}

const ARGS = '{"order_id":"A-1","express":true}';

describe('streamed tool calls across protocols', () => {
  it('ConverseStream toolUse blocks become Chat tool_calls deltas whose arguments join to the input', () => {
    const upstream = concat([
      event('messageStart', { role: 'assistant' }),
      event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Checking.' } }),
      event('contentBlockStop', { contentBlockIndex: 0 }),
      event('contentBlockStart', { contentBlockIndex: 1, start: { toolUse: { toolUseId: 'tu-9', name: 'track_order' } } }),
      ...[ARGS.slice(0, 7), ARGS.slice(7, 20), ARGS.slice(20)].map((input) =>
        event('contentBlockDelta', { contentBlockIndex: 1, delta: { toolUse: { input } } }),
      ),
      event('contentBlockStop', { contentBlockIndex: 1 }),
      event('messageStop', { stopReason: 'tool_use' }),
      event('metadata', { usage: { inputTokens: 5, outputTokens: 9 } }),
    ]);
    const events = decodeAll(converseUpstreamCodec.decoder(), upstream);
    expect(events.filter((e) => e.type === 'stop')).toEqual([{ type: 'stop', reason: 'tool_use', recorded: 'tool_use' }]);
    const sse = text.decode(chatClientCodec('m', 'id', true).encoder().encode(events)!);
    const chunks = sse
      .split('\n\n')
      .filter((l) => l.startsWith('data: {'))
      .map((l) => JSON.parse(l.slice(6)));
    const calls = chunks.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []);
    expect(calls[0]).toEqual({ index: 0, id: 'tu-9', type: 'function', function: { name: 'track_order', arguments: '' } });
    expect(calls.map((c: { function: { arguments: string } }) => c.function.arguments).join('')).toBe(ARGS);
    expect(chunks.map((c) => c.choices[0]?.finish_reason).filter(Boolean)).toEqual(['tool_calls']);
    expect(sse.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('Chat tool_calls deltas (two calls) become Converse blocks, each started, filled and stopped in order', () => {
    const chunk = (delta: unknown, finish: string | null = null) =>
      `data: ${JSON.stringify({ choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    const upstream = new TextEncoder().encode(
      [
        chunk({ role: 'assistant', content: '' }),
        chunk({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'track_order', arguments: '' } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: ARGS.slice(0, 10) } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: ARGS.slice(10) } }] }),
        chunk({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'get_weather', arguments: '{"city":' } }] }),
        chunk({ tool_calls: [{ index: 1, function: { arguments: '"Kyoto"}' } }] }),
        chunk({}, 'tool_calls'),
        `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 4 } })}\n\n`,
        'data: [DONE]\n\n',
      ].join(''),
    );
    const events = decodeAll(chatUpstreamCodec.decoder(), upstream, 11);
    const frames = new FrameSplitter().push(converseClientCodec.encoder().encode(events)!);
    const got = frames.map((f) => [f.headers[':event-type'], JSON.parse(text.decode(f.payload))]);
    expect(got.map(([type]) => type)).toEqual([
      'messageStart',
      'contentBlockStart',
      'contentBlockDelta',
      'contentBlockDelta',
      'contentBlockStop',
      'contentBlockStart',
      'contentBlockDelta',
      'contentBlockDelta',
      'contentBlockStop',
      'messageStop',
      'metadata',
    ]);
    expect(got[1]![1]).toEqual({ contentBlockIndex: 0, start: { toolUse: { toolUseId: 'call_a', name: 'track_order' } } });
    expect(got[5]![1]).toEqual({ contentBlockIndex: 1, start: { toolUse: { toolUseId: 'call_b', name: 'get_weather' } } });
    const inputOf = (block: number) =>
      got
        .filter(([type, p]) => type === 'contentBlockDelta' && p.contentBlockIndex === block)
        .map(([, p]) => p.delta.toolUse.input)
        .join('');
    expect(JSON.parse(inputOf(0))).toEqual(JSON.parse(ARGS));
    expect(JSON.parse(inputOf(1))).toEqual({ city: 'Kyoto' });
    expect(got[9]![1]).toEqual({ stopReason: 'tool_use' });
  });

  it('a Chat stream that repeats the tool call id on every chunk still makes one Converse block per call', () => {
    const piece = (args: string) => ({ index: 0, id: 'call_a', type: 'function', function: { name: 'track_order', arguments: args } });
    const upstream = new TextEncoder().encode(
      [
        ...[ARGS.slice(0, 9), ARGS.slice(9)].map(
          (args) => `data: ${JSON.stringify({ choices: [{ index: 0, delta: { tool_calls: [piece(args)] } }] })}\n\n`,
        ),
        `data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }], usage: { prompt_tokens: 3, completion_tokens: 4 } })}\n\n`,
        'data: [DONE]\n\n',
      ].join(''),
    );
    const events = decodeAll(chatUpstreamCodec.decoder(), upstream, 7);
    expect(events.filter((e) => e.type === 'tool_start')).toEqual([{ type: 'tool_start', index: 0, id: 'call_a', name: 'track_order' }]);
    const frames = new FrameSplitter().push(converseClientCodec.encoder().encode(events)!);
    const got = frames.map((f) => [f.headers[':event-type'], JSON.parse(text.decode(f.payload))]);
    expect(got.filter(([type]) => type === 'contentBlockStart')).toHaveLength(1);
    const input = got.filter(([type]) => type === 'contentBlockDelta').map(([, p]) => p.delta.toolUse.input);
    expect(input.join('')).toBe(ARGS);
  });
});

describe('whole answers with tool calls', () => {
  it('a Chat answer whose arguments are no JSON object is malformed', () => {
    const answer = {
      choices: [{ message: { tool_calls: [{ id: 'c', function: { name: 'f', arguments: '{oops' } }] }, finish_reason: 'tool_calls' }],
    };
    expect(() => chatUpstreamCodec.decode(answer, () => null)).toThrow(MalformedUpstream);
  });

  it('a Converse toolUse answer renders as Chat tool_calls with content null, and back', () => {
    const result = converseUpstreamCodec.decode(
      {
        output: { message: { content: [{ toolUse: { toolUseId: 't', name: 'f', input: { a: 1 } } }] } },
        stopReason: 'tool_use',
        usage: {},
      },
      () => null,
    );
    const chat = JSON.parse(chatClientCodec('m', 'id', false).renderResult(result).body);
    expect(chat.choices[0]).toMatchObject({
      finish_reason: 'tool_calls',
      message: { content: null, tool_calls: [{ id: 't', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] },
    });
    const again = chatUpstreamCodec.decode(chat, () => null);
    expect(JSON.parse(converseClientCodec.renderResult(again).body)).toMatchObject({
      stopReason: 'tool_use',
      output: { message: { content: [{ toolUse: { toolUseId: 't', name: 'f', input: { a: 1 } } }] } },
    });
  });
});

const chat = (body: Record<string, unknown>) => chatToCanonical(ChatBody.parse({ model: 'm', ...body }));
const refusal = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    if (err instanceof GatewayError) return `${err.status} ${err.message}`;
    throw err;
  }
  throw new Error('not refused');
};

describe('tool turns', () => {
  it('tool results and a user message right after them make one user turn (Converse turns alternate)', () => {
    const request = chat({
      messages: [
        { role: 'user', content: 'track 1' },
        { role: 'assistant', content: '', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{"n":1}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: 'shipped' },
        { role: 'user', content: 'thanks, and when?' },
      ],
    });
    expect(request.messages.map((m) => [m.role, m.content.map((p) => p.type)])).toEqual([
      ['user', ['text']],
      ['assistant', ['tool_call']],
      ['user', ['tool_result', 'text']],
    ]);
  });
});

describe('requests that cannot be translated are refused with 400 naming the field', () => {
  it('Chat side', () => {
    const user = [{ role: 'user', content: 'x' }];
    const toolCall = (args: string) => [
      ...user,
      { role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: args } }] },
    ];
    expect(refusal(() => chat({ messages: toolCall('[1]') }))).toMatch(
      /^400 messages\.1\.tool_calls\.0\.function\.arguments must be a JSON object/,
    );
    expect(refusal(() => chat({ messages: [...user, { role: 'tool', content: 'r' }] }))).toMatch(
      /^400 messages\.1\.tool_call_id is required/,
    );
    expect(refusal(() => chat({ messages: user, tools: [{ type: 'custom', custom: { name: 'g' } }] }))).toMatch(
      /^400 tools\.0\.type must be function/,
    );
    const tools = [{ type: 'function', function: { name: 'f' } }];
    expect(refusal(() => chat({ messages: user, tools, tool_choice: { type: 'function', function: { name: 'g' } } }))).toMatch(
      /naming one of the tools/,
    );
    expect(refusal(() => chat({ messages: user, functions: [{ name: 'f' }] }))).toMatch(
      /^400 functions and function_call cannot be translated/,
    );
    // A tool without parameters gets an empty object schema.
    expect(chat({ messages: user, tools }).tools).toEqual([{ name: 'f', parameters: { type: 'object', properties: {} } }]);
  });

  it('a Converse conversation with tools and cachePoint blocks reaches Chat with cache_control on the same turns', () => {
    const request = converseToChat({
      system: [{ text: 'policy' }, { cachePoint: { type: 'default' } }],
      messages: [
        { role: 'user', content: [{ text: 'track order 7' }] },
        { role: 'assistant', content: [{ toolUse: { toolUseId: 't1', name: 'track_order', input: { order_id: '7' } } }] },
        {
          role: 'user',
          content: [{ toolResult: { toolUseId: 't1', content: [{ text: 'shipped' }] } }, { cachePoint: { type: 'default' } }],
        },
      ],
      toolConfig: { tools: [{ toolSpec: { name: 'track_order', inputSchema: { json: { type: 'object' } } } }] },
    });
    const body = JSON.parse(text.decode(chatUpstreamCodec.encodeRequest(request, 'm', false)));
    const ephemeral = { type: 'ephemeral' };
    expect(body.messages).toEqual([
      { role: 'system', content: [{ type: 'text', text: 'policy', cache_control: ephemeral }] },
      { role: 'user', content: 'track order 7' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 't1', type: 'function', function: { name: 'track_order', arguments: '{"order_id":"7"}' } }],
      },
      { role: 'tool', tool_call_id: 't1', content: [{ type: 'text', text: 'shipped', cache_control: ephemeral }] },
    ]);
    expect(body.tools).toHaveLength(1);
    // And back: the Chat body's cache_control parts are the same cache points again.
    expect(chatToCanonical(ChatBody.parse(body))).toMatchObject({ systemCachePoint: true, messages: [{}, {}, { cachePoint: true }] });
  });

  it('Converse side; cachePoint blocks become cache points of their turn', () => {
    const messages = (content: unknown[]) => [{ role: 'user', content }];
    expect(refusal(() => converseToChat({ messages: messages([{ image: { format: 'png', source: { bytes: 'AA==' } } }]) }))).toMatch(
      /^400 messages\.0\.content\.0: "image" blocks cannot be translated/,
    );
    const noSchema = { messages: messages([{ text: 'x' }]), toolConfig: { tools: [{ toolSpec: { name: 'f' } }] } };
    expect(refusal(() => converseToChat(noSchema))).toMatch(/^400 toolConfig\.tools\.0\.toolSpec\.inputSchema\.json must be/);
    const cached = converseToChat({
      messages: messages([{ text: 'hi' }, { cachePoint: { type: 'default' } }]),
      system: [{ text: 's' }, { cachePoint: { type: 'default' } }],
    });
    expect(cached).toMatchObject({
      system: ['s'],
      systemCachePoint: true,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }], cachePoint: true }],
    });
  });
});
