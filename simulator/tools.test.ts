import { describe, expect, it } from 'vitest';
import { parseConverseRequest, type SimRequest } from './request.ts';
import { chooseToolCall, guardrailIntervenes } from './tools.ts';

const schema = {
  type: 'object',
  properties: { orderId: { type: 'string' }, count: { type: 'integer' }, mode: { enum: ['fast', 'slow'] }, gift: { type: 'boolean' } },
};
const converse = (body: Record<string, unknown>): SimRequest => {
  const parsed = parseConverseRequest(body);
  if ('invalid' in parsed) throw new Error(parsed.invalid);
  return parsed;
};
const offered = (text: string, extra: Record<string, unknown> = {}) =>
  converse({
    messages: [{ role: 'user', content: [{ text }] }],
    toolConfig: {
      tools: [
        { toolSpec: { name: 'getWeather', inputSchema: { json: {} } } },
        { toolSpec: { name: 'trackOrder', inputSchema: { json: schema } } },
      ],
    },
    ...extra,
  });

describe('simulated tool calls', () => {
  it('calls the first tool whose name words all occur in the prompt, with input filled from it, the same every time', () => {
    const call = chooseToolCall(offered('Could you TRACK my order X-42, 3 boxes?'), 7);
    expect(call).toMatchObject({ name: 'trackOrder', input: { orderId: 'X-42', count: 3, mode: 'fast', gift: true } });
    expect(chooseToolCall(offered('Could you TRACK my order X-42, 3 boxes?'), 7)).toEqual(call);
    expect(chooseToolCall(offered('Could you TRACK my order X-42, 3 boxes?'), 8)!.id).not.toBe(call!.id);
  });

  it('makes no call when no tool matches, none is offered, or the last turn carries tool results', () => {
    expect(chooseToolCall(offered('recommend a manga'), 1)).toBeNull();
    expect(chooseToolCall(converse({ messages: [{ role: 'user', content: [{ text: 'track my order' }] }] }), 1)).toBeNull();
    const answered = converse({
      messages: [
        { role: 'user', content: [{ text: 'track my order 1' }] },
        { role: 'assistant', content: [{ toolUse: { toolUseId: 't', name: 'trackOrder', input: {} } }] },
        { role: 'user', content: [{ toolResult: { toolUseId: 't', content: [{ text: 'track order: shipped' }] } }] },
      ],
      toolConfig: { tools: [{ toolSpec: { name: 'trackOrder', inputSchema: { json: schema } } }] },
    });
    expect(answered.lastTurnIsToolResult).toBe(true);
    expect(chooseToolCall(answered, 1)).toBeNull();
  });

  it('a guardrail intervenes only when one is configured and the prompt holds the trigger phrase', () => {
    const guardrailConfig = { guardrailIdentifier: 'g', guardrailVersion: '1' };
    expect(guardrailIntervenes(offered('the Forbidden Topic', { guardrailConfig }))).toBe(true);
    expect(guardrailIntervenes(offered('a fine topic', { guardrailConfig }))).toBe(false);
    expect(guardrailIntervenes(offered('the forbidden topic'))).toBe(false);
  });
});
