import { ConverseCommand, ConverseStreamCommand, InvokeModelCommand, type Message } from '@aws-sdk/client-bedrock-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAIKU, startToolsStack } from './support/tools-stack.ts';

let t: Awaited<ReturnType<typeof startToolsStack>>;
beforeAll(async () => {
  t = await startToolsStack();
});
afterAll(async () => {
  await t?.close();
});

const ask = (text: string): Message[] => [{ role: 'user', content: [{ text }] }];
const guardrailConfig = { guardrailIdentifier: 'gr-shop-1', guardrailVersion: '3', trace: 'enabled' as const };
/** Fields Bedrock reads and the gateway must hand on untouched. */
const extras = {
  additionalModelRequestFields: { top_k: 40, nested: { list: [1, 2.5, 'x'], flag: true } },
  additionalModelResponseFieldPaths: ['/stop_sequence'],
  promptVariables: { genre: { text: 'shōnen' } },
};
const sentFields = (body: Record<string, unknown>) => ({
  guardrailConfig: body.guardrailConfig,
  additionalModelRequestFields: body.additionalModelRequestFields,
  additionalModelResponseFieldPaths: body.additionalModelResponseFieldPaths,
  promptVariables: body.promptVariables,
});

describe('guardrailConfig, trace and additional fields pass through Bedrock-to-Bedrock calls unchanged', () => {
  // An unknown model id is passed through in its own bytes; a routed call is re-encoded with the configuration applied.
  for (const [label, modelId, session] of [
    ['passed through', HAIKU, undefined],
    ['routed to a Bedrock configuration', 'mangaassist', 'g-1'],
  ] as const) {
    it(`Converse ${label}: the simulator receives them as sent`, async () => {
      await t.bedrock.send(
        new ConverseCommand({
          modelId,
          messages: ask('recommend a manga'),
          guardrailConfig,
          ...extras,
          requestMetadata: { intent: 'order_tracking', ...(session ? { session_id: session } : {}) },
        }),
      );
      expect(sentFields(t.lastBody(HAIKU))).toEqual({ guardrailConfig, ...extras });
    });
  }

  it('ConverseStream: the stream guardrail (streamProcessingMode) passes through too', async () => {
    const streamGuardrail = {
      guardrailIdentifier: 'gr-shop-1',
      guardrailVersion: 'DRAFT',
      trace: 'enabled' as const,
      streamProcessingMode: 'async' as const,
    };
    const out = await t.bedrock.send(
      new ConverseStreamCommand({ modelId: 'config:haiku-35', messages: ask('hello'), guardrailConfig: streamGuardrail, ...extras }),
    );
    for await (const _ of out.stream!);
    expect(sentFields(t.lastBody(HAIKU))).toEqual({ guardrailConfig: streamGuardrail, ...extras });
  });
});

describe('guardrail interventions are answered and recorded', () => {
  it('Converse: stopReason guardrail_intervened with the trace, recorded on the observation and in /metrics', async () => {
    const before = t.stack.sink.observations.length;
    const out = await t.bedrock.send(
      new ConverseCommand({
        modelId: 'mangaassist',
        messages: ask('tell me about the forbidden topic'),
        guardrailConfig,
        requestMetadata: { intent: 'faq', session_id: 'g-2' },
      }),
    );
    expect(out.stopReason).toBe('guardrail_intervened');
    expect(out.output!.message!.content![0]!.text).toMatch(/cannot help/);
    const assessment = out.trace!.guardrail!.inputAssessment!['gr-shop-1']!;
    expect(assessment.topicPolicy!.topics![0]).toMatchObject({ action: 'BLOCKED' });
    expect(await t.observationAfter(before)).toMatchObject({ intent: 'faq', stopReason: 'guardrail_intervened', status: 200 });
    const metrics = await (await fetch(`${t.stack.url}/metrics`)).text();
    expect(metrics).toMatch(
      /gateway_stop_reasons_total\{route="mangaassist",intent="faq",config="[^"]+",traffic="live",reason="guardrail_intervened"\} 1/,
    );
  });

  it('ConverseStream: messageStop says guardrail_intervened and metadata carries the trace', async () => {
    const before = t.stack.sink.observations.length;
    const out = await t.bedrock.send(
      new ConverseStreamCommand({
        modelId: HAIKU,
        messages: ask('Forbidden Topic please'),
        guardrailConfig: { ...guardrailConfig, streamProcessingMode: 'sync' },
      }),
    );
    let stop: string | undefined;
    let trace: unknown;
    for await (const event of out.stream!) {
      stop = event.messageStop?.stopReason ?? stop;
      trace = event.metadata?.trace ?? trace;
    }
    expect(stop).toBe('guardrail_intervened');
    expect(trace).toMatchObject({ guardrail: { inputAssessment: { 'gr-shop-1': { topicPolicy: expect.anything() } } } });
    expect(await t.observationAfter(before)).toMatchObject({ route: '_passthrough', stopReason: 'guardrail_intervened' });
  });

  it('without a guardrail the trigger phrase is just text; the stop reason of an invoke call is recorded too', async () => {
    const before = t.stack.sink.observations.length;
    const out = await t.bedrock.send(new ConverseCommand({ modelId: HAIKU, messages: ask('the forbidden topic') }));
    expect(out.stopReason).toBe('end_turn');
    expect(out.trace).toBeUndefined();
    const body = JSON.stringify({
      anthropic_version: 'bedrock-2023-05-31',
      max_tokens: 3,
      messages: [{ role: 'user', content: 'a long answer please' }],
    });
    const invoked = await t.bedrock.send(new InvokeModelCommand({ modelId: HAIKU, body, contentType: 'application/json' }));
    expect(JSON.parse(new TextDecoder().decode(invoked.body)).stop_reason).toBe('max_tokens');
    const [converse, invoke] = (await t.stack.sink.waitFor(before + 2)).slice(before);
    expect(converse).toMatchObject({ stopReason: 'end_turn' });
    expect(invoke).toMatchObject({ operation: 'invoke', stopReason: 'max_tokens' });
  });
});
