import {
  ConverseCommand,
  ConverseStreamCommand,
  type ContentBlock,
  type ConverseStreamOutput,
  type Message,
  type Tool,
} from '@aws-sdk/client-bedrock-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CUSTOM, HAIKU, startToolsStack, TRACK_ORDER } from './support/tools-stack.ts';

let t: Awaited<ReturnType<typeof startToolsStack>>;
beforeAll(async () => {
  t = await startToolsStack();
});
afterAll(async () => {
  await t?.close();
});

const toolConfig = {
  tools: [
    { toolSpec: { name: TRACK_ORDER.name, description: TRACK_ORDER.description, inputSchema: { json: TRACK_ORDER.parameters } } } as Tool,
  ],
};
const ask = (text: string): Message[] => [{ role: 'user', content: [{ text }] }];

/** What a ConverseStream client assembles: text, tool calls (input deltas joined and parsed), stop reason, usage. */
async function assemble(stream: AsyncIterable<ConverseStreamOutput>) {
  let text = '';
  const tools = new Map<number, { toolUseId: string; name: string; json: string }>();
  let stopReason: string | undefined;
  let usage: { inputTokens?: number; outputTokens?: number } | undefined;
  let trace: unknown;
  for await (const event of stream) {
    const start = event.contentBlockStart;
    if (start?.start?.toolUse)
      tools.set(start.contentBlockIndex!, { toolUseId: start.start.toolUse.toolUseId!, name: start.start.toolUse.name!, json: '' });
    const delta = event.contentBlockDelta;
    if (delta?.delta?.text) text += delta.delta.text;
    if (delta?.delta?.toolUse) tools.get(delta.contentBlockIndex!)!.json += delta.delta.toolUse.input ?? '';
    stopReason = event.messageStop?.stopReason ?? stopReason;
    usage = event.metadata?.usage ?? usage;
    trace = event.metadata?.trace ?? trace;
  }
  const calls = [...tools.values()].map((c) => ({ toolUseId: c.toolUseId, name: c.name, input: JSON.parse(c.json) as unknown }));
  return { text, calls, stopReason, usage, trace };
}

describe('Bedrock SDK -> OpenAI-compatible configuration: tools translated to Chat Completions', () => {
  it('Converse: a toolUse block with an object input and stopReason tool_use; the upstream got function tools', async () => {
    const before = t.stack.sink.observations.length;
    const out = await t.bedrock.send(
      new ConverseCommand({
        modelId: 'config:custom-ft-openai',
        messages: ask('Please track my order 77'),
        toolConfig: { ...toolConfig, toolChoice: { any: {} } },
      }),
    );
    expect(out.stopReason).toBe('tool_use');
    const use = out.output!.message!.content!.find((b) => b.toolUse)!.toolUse!;
    expect(use).toMatchObject({ name: 'track_order', input: { order_id: '77' } });
    expect(use.toolUseId).toMatch(/^tooluse_/);
    expect(out.usage!.outputTokens).toBeGreaterThan(0);
    const sent = t.lastBody(CUSTOM);
    expect(sent.tools).toEqual([{ type: 'function', function: TRACK_ORDER }]);
    expect(sent.tool_choice).toBe('required');
    expect(await t.observationAfter(before)).toMatchObject({ configId: 'custom-ft-openai', stopReason: 'tool_use', status: 200 });
  });

  it('Converse: toolUse history and toolResult blocks become tool_calls and role tool messages', async () => {
    const messages: Message[] = [
      { role: 'user', content: [{ text: 'Please track my order 77' }] },
      {
        role: 'assistant',
        content: [{ text: 'Looking it up.' }, { toolUse: { toolUseId: 'tu-1', name: 'track_order', input: { order_id: '77' } } }],
      },
      {
        role: 'user',
        content: [
          { toolResult: { toolUseId: 'tu-1', content: [{ json: { status: 'shipped' } }] } },
          { text: 'and when will it arrive?' },
        ] as ContentBlock[],
      },
    ];
    const out = await t.bedrock.send(new ConverseCommand({ modelId: 'config:custom-ft-openai', messages, toolConfig }));
    expect(out.stopReason).toBe('end_turn');
    expect(out.output!.message!.content![0]!.text!.length).toBeGreaterThan(0);
    expect(t.lastBody(CUSTOM).messages).toEqual([
      { role: 'user', content: 'Please track my order 77' },
      {
        role: 'assistant',
        content: 'Looking it up.',
        tool_calls: [{ id: 'tu-1', type: 'function', function: { name: 'track_order', arguments: '{"order_id":"77"}' } }],
      },
      { role: 'tool', tool_call_id: 'tu-1', content: '{"status":"shipped"}' },
      { role: 'user', content: 'and when will it arrive?' },
    ]);
  });

  it('ConverseStream: contentBlockStart toolUse and input deltas the client joins into the call', async () => {
    const before = t.stack.sink.observations.length;
    const out = await t.bedrock.send(
      new ConverseStreamCommand({ modelId: 'config:custom-ft-openai', messages: ask('can you track order 31337'), toolConfig }),
    );
    const got = await assemble(out.stream!);
    expect(got.calls).toEqual([{ toolUseId: expect.stringMatching(/^tooluse_/), name: 'track_order', input: { order_id: '31337' } }]);
    expect(got.stopReason).toBe('tool_use');
    const call = t.stack.sim.control.log.at(-1)!;
    expect(call).toMatchObject({ modelId: CUSTOM, operation: 'chat-completions-stream' });
    expect(got.usage).toMatchObject({ inputTokens: call.inputTokens, outputTokens: call.outputTokens });
    expect(await t.observationAfter(before)).toMatchObject({ stopReason: 'tool_use', streamed: true, status: 200 });
  });

  it('images and documents stay refused with a 400 naming the block; nothing reaches the upstream', async () => {
    const calls = t.stack.sim.control.log.length;
    const content = [{ document: { name: 'a', format: 'txt', source: { bytes: new TextEncoder().encode('x') } } }] as ContentBlock[];
    const err = await t.bedrock
      .send(new ConverseCommand({ modelId: 'config:custom-ft-openai', messages: [{ role: 'user', content }] }))
      .catch((e: unknown) => e);
    expect((err as Error).name).toBe('ValidationException');
    expect((err as Error).message).toMatch(/messages\.0\.content\.0: "document" blocks cannot be translated/);
    expect(t.stack.sim.control.log.length).toBe(calls);
  });
});

describe('Bedrock SDK -> Bedrock: tool use passed through', () => {
  it('ConverseStream tool-use deltas from a Bedrock model reach the SDK whole and are recorded', async () => {
    const before = t.stack.sink.observations.length;
    const out = await t.bedrock.send(new ConverseStreamCommand({ modelId: HAIKU, messages: ask('track my order 8'), toolConfig }));
    const got = await assemble(out.stream!);
    expect(got.calls).toEqual([{ toolUseId: expect.any(String), name: 'track_order', input: { order_id: '8' } }]);
    expect(got.stopReason).toBe('tool_use');
    expect(t.lastBody(HAIKU).toolConfig).toEqual(toolConfig);
    expect(await t.observationAfter(before)).toMatchObject({ route: '_passthrough', stopReason: 'tool_use' });
  });
});
