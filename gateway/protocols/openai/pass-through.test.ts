import { describe, expect, it } from 'vitest';
import { createRng } from '../../../simulator/rng.ts';
import { longChatStream, openChatPassThrough as open } from './pass-through-harness.ts';

describe('Chat Completions pass-through (whole answers)', () => {
  it('hands on a tool call whose arguments are no JSON object as it came, metered, instead of a 502', async () => {
    const h = open();
    const answer = {
      id: 'c1',
      object: 'chat.completion',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 't1', type: 'function', function: { name: 'f', arguments: '{"q":' } }],
          },
          finish_reason: 'tool_calls',
        },
      ],
      usage: { prompt_tokens: 30, completion_tokens: 7, total_tokens: 37, prompt_tokens_details: { cached_tokens: 10 } },
    };
    h.upstream.next({ headers: { 'content-type': 'application/json' }, body: [JSON.stringify(answer)] });
    const res = await h.chat('r-oai', false);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(answer);
    expect(h.sink.observations).toHaveLength(1);
    expect(h.sink.observations[0]).toMatchObject({
      status: 200,
      errorCode: null,
      inputTokens: 20,
      cacheReadInputTokens: 10,
      outputTokens: 7,
      stopReason: 'tool_use',
    });
    expect(h.sink.observations[0]!.costUsd).toBeCloseTo((20 * 0.001 + 10 * 0.001 + 7 * 0.002) / 1000, 12);
  });
});

describe('Chat Completions pass-through (streams)', () => {
  const chunk = (choices: unknown[], usage: unknown = null) =>
    `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices, usage })}`;
  const usage = chunk([], { prompt_tokens: 30, completion_tokens: 2, total_tokens: 32 });
  const events = [
    `${chunk([{ index: 0, delta: { role: 'assistant', content: 'ワン' }, finish_reason: null }])}\r\n\r\n`,
    ': keep-alive\n\n',
    `${chunk([{ index: 0, delta: { content: 'ピース' }, finish_reason: null }])}\n\n`,
    `${chunk([{ index: 0, delta: {}, finish_reason: 'stop' }])}\n\n`,
    `${usage}\n\n`,
    'data: [DONE]\n\n',
  ];
  const bytes = new TextEncoder().encode(events.join(''));
  // Cuts inside a multi-byte character, inside an event end, and at event ends.
  const cuts = [20, 120, events[0]!.length - 2, bytes.length - 30, bytes.length];
  const steps = cuts.map((cut, i) => bytes.slice(i === 0 ? 0 : cuts[i - 1], cut));

  it("hands on the upstream's bytes as they came, however chunked, metered from them", async () => {
    const h = open();
    h.upstream.next({ headers: { 'content-type': 'text/event-stream' }, body: steps });
    const res = await h.chat('r-oai', true, { stream_options: { include_usage: true } });
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes);
    expect(h.sink.observations[0]).toMatchObject({
      status: 200,
      errorCode: null,
      inputTokens: 30,
      outputTokens: 2,
      stopReason: 'end_turn',
    });
  });

  it('holds back only the usage chunk the client did not ask for, every other byte as it came', async () => {
    const h = open();
    h.upstream.next({ headers: { 'content-type': 'text/event-stream' }, body: steps });
    const res = await h.chat('r-oai', true);
    expect(await res.text()).toBe(events.filter((e) => !e.startsWith(usage)).join(''));
    expect(h.sink.observations[0]).toMatchObject({ status: 200, inputTokens: 30, outputTokens: 2 });
  });

  it('meters the same usage and stop reason however an answer is cut into chunks, and hands on every byte', async () => {
    const bytes = longChatStream();
    const rng = createRng(5);
    for (let n = 0; n < 60; n++) {
      const cuts = Array.from({ length: rng.int(8) }, () => rng.int(bytes.length)).sort((a, b) => a - b);
      const steps = [...cuts, bytes.length].map((cut, i, all) => bytes.slice(i === 0 ? 0 : all[i - 1], cut)).filter((s) => s.length);
      const h = open();
      h.upstream.next({ headers: { 'content-type': 'text/event-stream' }, body: steps });
      const res = await h.chat('r-oai', true, { stream_options: { include_usage: true } });
      expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes);
      expect(h.sink.observations[0], `cuts ${cuts.join(',')}`).toMatchObject({
        status: 200,
        errorCode: null,
        inputTokens: 7,
        outputTokens: 24,
        stopReason: 'max_tokens',
      });
    }
  });
});
