import { createGatewayApp } from '../../app.ts';
import { parseGatewayConfig } from '../../config/load.ts';
import { openHarness } from '../../contract/harness.ts';
import { ScriptedUpstream } from '../../contract/scripted-upstream.ts';
import type { Rng } from '../../../simulator/rng.ts';

const CONFIG = parseGatewayConfig({
  pricing: { 'openai-model': { inputPer1k: 0.001, outputPer1k: 0.002 } },
  configs: [{ id: 'oai', upstream: { provider: 'openai', baseUrl: 'http://openai.test/v1', model: 'openai-model' }, maxTokens: 100 }],
  routes: [{ name: 'r-oai', intents: ['faq'], default: 'oai' }],
});

/** For the pass-through tests: the contract suite's in-process app on `CONFIG`'s one OpenAI-compatible route (`r-oai`). */
export function openChatPassThrough() {
  return openHarness({ createApp: createGatewayApp, upstream: () => new ScriptedUpstream() }, CONFIG);
}

const encoder = new TextEncoder();

/**
 * A streamed answer of 24 content events as an upstream may send it, for tests that cut it anywhere: some events in
 * Python's JSON spacing (`"usage": null`, `"finish_reason": "length"`, the usage event), non-ASCII content, content
 * that quotes the metered keys (escaped, so nothing to meter), a comment line, then `[DONE]`. Usage: 7 in, 24 out.
 */
export function longChatStream(): Uint8Array {
  const chunk = (choices: unknown[], usage: unknown = null) =>
    `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices, usage })}\n\n`;
  const events = [chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }])];
  for (let i = 0; i < 24; i++) {
    const content =
      i % 3 === 0 ? ` ワンピース${i}` : i % 3 === 1 ? ` "usage": {"x": ${i}}, "error": 1, "finish_reason": "stop"` : ` word${i}`;
    const event = chunk([{ index: 0, delta: { content }, finish_reason: null }]);
    events.push(i % 2 ? event.replace('"usage":null', '"usage": null').replace('"finish_reason":null', '"finish_reason" :  null') : event);
    if (i === 12) events.push(': keep-alive\n\n');
  }
  events.push(chunk([{ index: 0, delta: {}, finish_reason: 'length' }]).replace('"finish_reason":"length"', '"finish_reason": "length"'));
  events.push('data: {"id": "c", "choices": [], "usage": {"prompt_tokens": 7, "completion_tokens": 24, "total_tokens": 31}}\n\n');
  events.push('data: [DONE]\n\n');
  return encoder.encode(events.join(''));
}

/**
 * The data of a random stream event for the metering scan's tests: JSON-like text built of the pattern's keys, pieces of
 * them, spaces (non-ASCII ones too), quotes and other characters, often but not always matching `METERED`.
 */
export function randomEventData(rng: Rng): string {
  const parts = [
    '"usage"',
    '"finish_reason"',
    '"error"',
    ':',
    ' ',
    '\t',
    '\n',
    '{',
    '}',
    '"',
    'null',
    '"stop"',
    '\\"',
    'usage',
    // Pieces of keys, so that a key's last letter and quote also come without the rest of the key.
    '"finish',
    '_reason',
    'e"',
    'n"',
    'r"',
    'é',
    '\u00a0',
    '\u2028',
    ',',
    '[',
    ']',
    'x',
  ];
  let data = '{';
  const length = 1 + rng.int(16);
  for (let i = 0; i < length; i++) data += parts[rng.int(parts.length)];
  return data;
}
