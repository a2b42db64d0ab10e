import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from './server.ts';
import { converseBody, CUSTOM, HAIKU, post, wordCount } from './test-support.ts';

let sim: RunningSimulator;
let client: OpenAI;

beforeAll(async () => {
  sim = await startSimulator({ timeScale: 0, randomFaults: false });
  client = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: 'x', maxRetries: 0 });
});
beforeEach(() => sim.control.reset());
afterAll(() => sim.close());

const messages: OpenAI.ChatCompletionMessageParam[] = [
  { role: 'system', content: 'You are MangaAssist.' },
  { role: 'user', content: 'Recommend a manga like Berserk' },
];

describe('the openai SDK against /v1/chat/completions', () => {
  it('gets a non-streaming answer whose usage counts its tokens', async () => {
    const answer = await client.chat.completions.create({
      model: CUSTOM,
      messages,
      max_tokens: 300,
      metadata: { intent: 'recommendation' },
    });
    const text = answer.choices[0]!.message.content!;
    expect(answer.object).toBe('chat.completion');
    expect(answer.id).toMatch(/^chatcmpl-[0-9a-f]{32}$/);
    expect(answer.model).toBe(CUSTOM);
    expect(answer.choices[0]!.message.role).toBe('assistant');
    expect(['stop', 'length']).toContain(answer.choices[0]!.finish_reason);
    expect(answer.usage!.completion_tokens).toBe(wordCount(text));
    expect(answer.usage!.prompt_tokens).toBe(Math.ceil(('You are MangaAssist.' + 'Recommend a manga like Berserk').length / 4));
    expect(answer.usage!.total_tokens).toBe(answer.usage!.prompt_tokens + answer.usage!.completion_tokens);
    const [call] = sim.control.calls(CUSTOM);
    expect(call).toMatchObject({
      operation: 'chat-completions',
      intent: 'recommendation',
      status: 200,
      outputTokens: answer.usage!.completion_tokens,
    });
  });

  it('streams chunks, then the usage chunk when asked for', async () => {
    const stream = await client.chat.completions.create({ model: HAIKU, messages, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    const finishes: (string | null)[] = [];
    for await (const chunk of stream) {
      expect(chunk.object).toBe('chat.completion.chunk');
      if (chunk.usage) usage = chunk.usage;
      for (const choice of chunk.choices) {
        text += choice.delta.content ?? '';
        finishes.push(choice.finish_reason);
      }
    }
    expect(text.length).toBeGreaterThan(0);
    expect(finishes.at(-1)).toBe('stop');
    expect(usage!.completion_tokens).toBe(wordCount(text));
    expect(sim.control.calls(HAIKU)[0]).toMatchObject({ operation: 'chat-completions-stream', status: 200 });
  });

  it('caps the answer at max_completion_tokens with finish_reason length', async () => {
    const answer = await client.chat.completions.create({ model: HAIKU, messages, max_completion_tokens: 3 });
    expect(answer.choices[0]!.finish_reason).toBe('length');
    expect(answer.usage!.completion_tokens).toBe(3);
  });

  it('gives the same answers for the same seed and call sequence, as Converse does', async () => {
    const ask = () =>
      client.chat.completions.create({
        model: HAIKU,
        messages: [{ role: 'user', content: [{ type: 'text', text: 'Where is my order?' }] }],
      });
    const first = [await ask(), await ask()];
    sim.control.reset();
    const second = [await ask(), await ask()];
    expect(second.map((a) => a.choices[0]!.message.content)).toEqual(first.map((a) => a.choices[0]!.message.content));
    expect(second.map((a) => a.id)).toEqual(first.map((a) => a.id));
    expect(first[0]!.choices[0]!.message.content).not.toBe(first[1]!.choices[0]!.message.content);
  });

  it('answers the same call of a model with the same text and usage as Converse', async () => {
    const chat = await client.chat.completions.create({ model: HAIKU, messages, metadata: { intent: 'faq' } });
    sim.control.reset();
    const response = await post(
      fetch,
      sim.url,
      HAIKU,
      'converse',
      converseBody('Recommend a manga like Berserk', { system: [{ text: 'You are MangaAssist.' }], requestMetadata: { intent: 'faq' } }),
    );
    const converse = (await response.json()) as {
      output: { message: { content: { text: string }[] } };
      usage: { inputTokens: number; outputTokens: number };
    };
    expect(chat.choices[0]!.message.content).toBe(converse.output.message.content[0]!.text);
    expect([chat.usage!.prompt_tokens, chat.usage!.completion_tokens]).toEqual([converse.usage.inputTokens, converse.usage.outputTokens]);
  });
});
