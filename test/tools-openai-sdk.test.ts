import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAIKU, SONNET_V1, startToolsStack, TRACK_ORDER } from './support/tools-stack.ts';

let t: Awaited<ReturnType<typeof startToolsStack>>;
beforeAll(async () => {
  t = await startToolsStack();
});
afterAll(async () => {
  await t?.close();
});

const WEATHER = { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } };
const tools: OpenAI.ChatCompletionTool[] = [
  { type: 'function', function: WEATHER },
  { type: 'function', function: TRACK_ORDER },
];
const ask = (content: string): OpenAI.ChatCompletionMessageParam[] => [{ role: 'user', content }];

describe('OpenAI SDK -> Bedrock configuration: tools translated to Converse', () => {
  it('a tool call comes back as tool_calls with JSON arguments, finish_reason tool_calls, and is recorded', async () => {
    const before = t.stack.sink.observations.length;
    const out = await t.openai.chat.completions.create({
      model: 'mangaassist',
      messages: ask('Please track my order A-123'),
      tools,
      tool_choice: 'required',
      metadata: { intent: 'faq' },
    });
    const choice = out.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBeNull();
    const call = choice.message.tool_calls![0]! as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(call).toMatchObject({ type: 'function', function: { name: 'track_order' } });
    expect(call.id).toMatch(/^tooluse_/);
    expect(JSON.parse(call.function.arguments)).toEqual({ order_id: 'A-123' });
    expect(out.usage!.completion_tokens).toBeGreaterThan(0);

    const sent = t.lastBody(SONNET_V1);
    expect(sent.toolConfig).toEqual({
      tools: [
        { toolSpec: { name: 'get_weather', inputSchema: { json: WEATHER.parameters } } },
        { toolSpec: { name: 'track_order', description: TRACK_ORDER.description, inputSchema: { json: TRACK_ORDER.parameters } } },
      ],
      toolChoice: { any: {} },
    });
    expect(await t.observationAfter(before)).toMatchObject({ configId: 'sonnet-35-v1', stopReason: 'tool_use', status: 200 });
  });

  it('tool results go back as one user turn of toolResult blocks after the assistant toolUse blocks', async () => {
    const out = await t.openai.chat.completions.create({
      model: 'mangaassist',
      metadata: { intent: 'faq' },
      tools,
      tool_choice: { type: 'function', function: { name: 'track_order' } },
      messages: [
        { role: 'user', content: 'Please track my order A-123 and tell me the weather in Kyoto' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'track_order', arguments: '{"order_id":"A-123"}' } },
            { id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Kyoto"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'shipped yesterday' },
        { role: 'tool', tool_call_id: 'call_2', content: 'sunny' },
      ],
    });
    expect(out.choices[0]!.finish_reason).toBe('stop');
    expect(out.choices[0]!.message.content!.length).toBeGreaterThan(0);
    const sent = t.lastBody(SONNET_V1);
    expect(sent.messages).toEqual([
      { role: 'user', content: [{ text: 'Please track my order A-123 and tell me the weather in Kyoto' }] },
      {
        role: 'assistant',
        content: [
          { toolUse: { toolUseId: 'call_1', name: 'track_order', input: { order_id: 'A-123' } } },
          { toolUse: { toolUseId: 'call_2', name: 'get_weather', input: { city: 'Kyoto' } } },
        ],
      },
      {
        role: 'user',
        content: [
          { toolResult: { toolUseId: 'call_1', content: [{ text: 'shipped yesterday' }] } },
          { toolResult: { toolUseId: 'call_2', content: [{ text: 'sunny' }] } },
        ],
      },
    ]);
    expect((sent.toolConfig as Record<string, unknown>).toolChoice).toEqual({ tool: { name: 'track_order' } });
  });

  it('cache_control parts become Converse cachePoint blocks beside the tools, and the cache counts come back', async () => {
    const cached = { type: 'ephemeral' };
    // The OpenAI SDK's types have no cache_control; OpenAI-compatible servers in front of Anthropic models take it.
    const messages = [
      { role: 'system', content: [{ type: 'text', text: 'You answer order questions for a manga shop.', cache_control: cached }] },
      { role: 'user', content: 'Please track my order A-123' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_9', type: 'function', function: { name: 'track_order', arguments: '{"order_id":"A-123"}' } }],
      },
      { role: 'tool', tool_call_id: 'call_9', content: [{ type: 'text', text: 'shipped yesterday', cache_control: cached }] },
    ] as unknown as OpenAI.ChatCompletionMessageParam[];
    const call = () => t.openai.chat.completions.create({ model: 'mangaassist', metadata: { intent: 'faq' }, tools, messages });

    const before = t.stack.sink.observations.length;
    const first = await call();
    expect(first.choices[0]!.finish_reason).toBe('stop');
    const sent = t.lastBody(SONNET_V1) as { system: unknown[]; messages: { content: unknown[] }[]; toolConfig: { tools: unknown[] } };
    expect(sent.system.at(-1)).toEqual({ cachePoint: { type: 'default' } });
    expect(sent.system.filter((b) => JSON.stringify(b).includes('cachePoint'))).toHaveLength(1);
    expect(sent.messages.map((m) => m.content)).toEqual([
      [{ text: 'Please track my order A-123' }],
      [{ toolUse: { toolUseId: 'call_9', name: 'track_order', input: { order_id: 'A-123' } } }],
      [{ toolResult: { toolUseId: 'call_9', content: [{ text: 'shipped yesterday' }] } }, { cachePoint: { type: 'default' } }],
    ]);
    expect(sent.toolConfig.tools).toHaveLength(2);
    const written = await t.observationAfter(before);
    expect(written.cacheWriteInputTokens).toBeGreaterThan(0);
    expect(first.usage!.prompt_tokens).toBe(written.inputTokens + written.cacheWriteInputTokens! + (written.cacheReadInputTokens ?? 0));

    const again = await call();
    const read = await t.observationAfter(before + 1);
    expect(read.cacheReadInputTokens).toBeGreaterThan(0);
    expect(again.usage!.prompt_tokens_details?.cached_tokens).toBe(read.cacheReadInputTokens);
  });

  it('streamed: the SDK joins the argument deltas into the tool call', async () => {
    const before = t.stack.sink.observations.length;
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    const runner = t.openai.chat.completions.stream({
      model: 'mangaassist',
      messages: ask('Please track my order 98765'),
      tools,
      metadata: { intent: 'faq' },
      stream_options: { include_usage: true },
    });
    runner.on('chunk', (chunk) => chunks.push(chunk));
    const final = await runner.finalChatCompletion();
    const call = final.choices[0]!.message.tool_calls![0]! as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(final.choices[0]!.finish_reason).toBe('tool_calls');
    expect(call.function.name).toBe('track_order');
    expect(JSON.parse(call.function.arguments)).toEqual({ order_id: '98765' });
    const pieces = chunks.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []).filter((d) => d.function?.arguments);
    expect(pieces.length).toBeGreaterThan(1);
    expect(chunks.at(-1)!.usage!.completion_tokens).toBeGreaterThan(0);
    expect(t.stack.sim.control.log.at(-1)).toMatchObject({ modelId: SONNET_V1, operation: 'converse-stream' });
    expect(await t.observationAfter(before)).toMatchObject({ stopReason: 'tool_use', streamed: true, status: 200 });
  });

  it('tool_choice "none" leaves the tools out, and is refused for a conversation holding tool calls', async () => {
    const out = await t.openai.chat.completions.create({
      model: 'mangaassist',
      messages: ask('Please track my order 5'),
      tools,
      tool_choice: 'none',
      metadata: { intent: 'faq' },
    });
    expect(out.choices[0]!.finish_reason).toBe('stop');
    expect(t.lastBody(SONNET_V1).toolConfig).toBeUndefined();
    const calls = t.stack.sim.control.log.length;
    const err = await t.openai.chat.completions
      .create({
        model: 'mangaassist',
        tools,
        tool_choice: 'none',
        messages: [
          { role: 'user', content: 'track order 5' },
          { role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'track_order', arguments: '{}' } }] },
          { role: 'tool', tool_call_id: 'c', content: 'x' },
        ],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toMatch(/tool_choice "none" cannot be translated/);
    expect(t.stack.sim.control.log.length).toBe(calls);
  });

  it('images stay refused with a 400 naming the part', async () => {
    const err = await t.openai.chat.completions
      .create({
        model: 'mangaassist',
        messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] }],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toMatch(/messages\.0\.content\.0: "image_url" parts cannot be translated/);
  });
});

describe('OpenAI SDK naming a Bedrock model id', () => {
  it('is answered with usage, metered under _passthrough and priced as that model', async () => {
    const before = t.stack.sink.observations.length;
    const out = await t.openai.chat.completions.create({ model: HAIKU, messages: ask('hello there') });
    expect(out.model).toBe(HAIKU);
    expect(out.choices[0]!.message.content!.length).toBeGreaterThan(0);
    expect(out.usage!.prompt_tokens).toBeGreaterThan(0);
    expect(out.usage!.completion_tokens).toBeGreaterThan(0);
    const call = t.stack.sim.control.log.at(-1)!;
    expect(call).toMatchObject({ modelId: HAIKU, operation: 'converse', outputTokens: out.usage!.completion_tokens });
    const obs = await t.observationAfter(before);
    expect(obs).toMatchObject({ route: '_passthrough', arm: 'passthrough', configId: null, upstreamModel: HAIKU, stopReason: 'end_turn' });
    const price = t.stack.config.pricing[HAIKU]!;
    const cost = (out.usage!.prompt_tokens * price.inputPer1k + out.usage!.completion_tokens * price.outputPer1k) / 1000;
    expect(obs.costUsd).toBeCloseTo(cost, 9);
  });

  it('with the bedrock/ prefix, streamed, with a tool call', async () => {
    const final = await t.openai.chat.completions
      .stream({ model: `bedrock/${HAIKU}`, messages: ask('track the order 42 please'), tools, stream_options: { include_usage: true } })
      .finalChatCompletion();
    const call = final.choices[0]!.message.tool_calls![0]! as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(JSON.parse(call.function.arguments)).toEqual({ order_id: '42' });
    expect(final.usage!.completion_tokens).toBeGreaterThan(0);
    expect(t.stack.sim.control.log.at(-1)).toMatchObject({ modelId: HAIKU, operation: 'converse-stream' });
  });

  it('an id Bedrock does not know is its 400, recorded under _passthrough', async () => {
    const before = t.stack.sink.observations.length;
    const err = await t.openai.chat.completions.create({ model: 'gpt-4o', messages: ask('x') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toMatch(/model identifier is invalid/);
    expect(await t.observationAfter(before)).toMatchObject({ route: '_passthrough', upstreamModel: 'gpt-4o', status: 400 });
  });

  it('"bedrock/" alone names nothing: 400, nothing sent', async () => {
    const calls = t.stack.sim.control.log.length;
    const err = await t.openai.chat.completions.create({ model: 'bedrock/', messages: ask('x') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toMatch(/names no Bedrock model id/);
    expect(t.stack.sim.control.log.length).toBe(calls);
  });

  it('/v1/models explains the pass-through', async () => {
    const models = (await t.openai.models.list()).data as (OpenAI.Model & { description?: string })[];
    const entry = models.find((m) => m.id === 'bedrock/{modelId}');
    expect(entry?.description).toMatch(/pass-through.*Converse.*_passthrough/);
  });
});
