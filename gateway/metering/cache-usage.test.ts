import { describe, expect, it } from 'vitest';
import { MemoryObservationSink } from '../../stores/observations/memory.ts';
import { createGatewayApp } from '../app.ts';
import { parseGatewayConfig } from '../config/load.ts';
import { eventFrame, readFrames, readSse } from '../contract/answers.ts';
import { ScriptedUpstream, type Script } from '../contract/scripted-upstream.ts';
import { staticConfig } from '../deps.ts';
import { Lifecycle } from '../lifecycle.ts';
import { noTelemetry } from '../telemetry/interface.ts';
import { bedrockUpstream } from '../upstreams/bedrock/client.ts';
import { openaiUpstream } from '../upstreams/openai/client.ts';

// One answer's usage in every protocol: 100 plain input tokens, 50 output, 2,000 read from the cache, 300 written.
const IN = 100;
const OUT = 50;
const READ = 2000;
const WRITE = 300;
// Expected costs, worked by hand from the prices below (USD per 1K tokens).
// bedrock-model: (100 x 0.003 + 50 x 0.015 + 2000 x 0.0003 + 300 x 0.00375) / 1000
const BEDROCK_COST = 0.002775;
// openai-model (Chat reports reads only; no write price used): (100 x 0.001 + 50 x 0.002 + 2000 x 0.0005) / 1000
const OPENAI_COST = 0.0012;
// plain-model has no cache prices: reads and writes at the input price, (2400 x 0.003 + 50 x 0.015) / 1000
const FALLBACK_COST = 0.00795;

const APP_PROFILE = 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123';
const CONFIG = parseGatewayConfig({
  pricing: {
    'bedrock-model': { inputPer1k: 0.003, outputPer1k: 0.015, cacheReadPer1k: 0.0003, cacheWritePer1k: 0.00375 },
    'openai-model': { inputPer1k: 0.001, outputPer1k: 0.002, cacheReadPer1k: 0.0005, cacheWritePer1k: 0.00125 },
    'plain-model': { inputPer1k: 0.003, outputPer1k: 0.015 },
    // A pricing row keyed by an application inference profile ARN prices pass-through calls naming it.
    [APP_PROFILE]: { inputPer1k: 0.003, outputPer1k: 0.015, cacheReadPer1k: 0.0003, cacheWritePer1k: 0.00375 },
  },
  configs: [
    { id: 'bed', upstream: { provider: 'bedrock', modelId: 'us.bedrock-model' }, maxTokens: 100 },
    { id: 'oai', upstream: { provider: 'openai', baseUrl: 'http://openai.test/v1', model: 'openai-model' }, maxTokens: 100 },
    { id: 'plain', upstream: { provider: 'bedrock', modelId: 'plain-model' }, maxTokens: 100 },
    { id: 'app', upstream: { provider: 'bedrock', modelId: `${APP_PROFILE}-2` }, priceKey: 'bedrock-model', maxTokens: 100 },
  ],
  routes: [
    { name: 'r-bed', intents: ['faq'], default: 'bed' },
    { name: 'r-oai', intents: ['faq'], default: 'oai' },
    { name: 'r-plain', intents: ['faq'], default: 'plain' },
    { name: 'r-app', intents: ['faq'], default: 'app' },
  ],
});

const converseUsage = {
  inputTokens: IN,
  outputTokens: OUT,
  totalTokens: IN + OUT + READ + WRITE,
  cacheReadInputTokens: READ,
  cacheWriteInputTokens: WRITE,
};
const anthropicUsage = { input_tokens: IN, cache_creation_input_tokens: WRITE, cache_read_input_tokens: READ, output_tokens: OUT };
const chatUsage = {
  prompt_tokens: IN + READ,
  completion_tokens: OUT,
  total_tokens: IN + READ + OUT,
  prompt_tokens_details: { cached_tokens: READ },
};
const invokeChunk = (event: unknown) => eventFrame('chunk', { bytes: Buffer.from(JSON.stringify(event)).toString('base64') });
const sse = (payload: unknown) => `data: ${JSON.stringify(payload)}\n\n`;
const json = (body: unknown): Script => ({ headers: { 'content-type': 'application/json' }, body: [JSON.stringify(body)] });

const converseWhole = json({
  output: { message: { role: 'assistant', content: [{ text: 'ok' }] } },
  stopReason: 'end_turn',
  usage: converseUsage,
});
const converseStream: Script = {
  body: [
    eventFrame('messageStart', { role: 'assistant' }),
    eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'ok' } }),
    eventFrame('contentBlockStop', { contentBlockIndex: 0 }),
    eventFrame('messageStop', { stopReason: 'end_turn' }),
    eventFrame('metadata', { usage: converseUsage, metrics: { latencyMs: 5 } }),
  ],
};
const invokeMessage = {
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  content: [{ type: 'text', text: 'ok' }],
  stop_reason: 'end_turn',
  usage: anthropicUsage,
};
const chatWhole = json({
  id: 'c1',
  object: 'chat.completion',
  created: 1,
  model: 'm',
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
  usage: chatUsage,
});
const chatChunk = (choices: unknown[], usage: unknown = null) =>
  sse({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices, usage });
const chatStream: Script = {
  body: [
    chatChunk([{ index: 0, delta: { role: 'assistant', content: 'ok' }, finish_reason: null }]),
    chatChunk([{ index: 0, delta: {}, finish_reason: 'stop' }]),
    chatChunk([], chatUsage),
    'data: [DONE]\n\n',
  ],
};

/** What the observation must say: Bedrock-convention counts (input excludes the cache) and the exact cost. */
const bedrockObs = { inputTokens: IN, outputTokens: OUT, cacheReadInputTokens: READ, cacheWriteInputTokens: WRITE };
const chatObs = { inputTokens: IN, outputTokens: OUT, cacheReadInputTokens: READ, cacheWriteInputTokens: null };

interface Fixture {
  name: string;
  path: string;
  body: unknown;
  upstream: Script;
  observation: Record<string, unknown>;
  cost: number;
}

const converseRequest = {
  system: [{ text: 'You are a shop assistant.' }, { cachePoint: { type: 'default' } }],
  messages: [{ role: 'user', content: [{ text: 'catalogue ...' }, { cachePoint: { type: 'default' } }, { text: 'hi' }] }],
};
const invokeRequest = {
  anthropic_version: 'bedrock-2023-05-31',
  max_tokens: 10,
  messages: [{ role: 'user', content: [{ type: 'text', text: 'catalogue ...', cache_control: { type: 'ephemeral' } }] }],
};
const chatRequest = (model: string, stream: boolean) => ({
  model,
  stream,
  messages: [
    { role: 'system', content: [{ type: 'text', text: 'You are a shop assistant.', cache_control: { type: 'ephemeral' } }] },
    { role: 'user', content: 'hi' },
  ],
});

const FIXTURES: Fixture[] = [
  {
    name: 'converse',
    path: '/model/r-bed/converse',
    body: converseRequest,
    upstream: converseWhole,
    observation: bedrockObs,
    cost: BEDROCK_COST,
  },
  {
    name: 'converse-stream',
    path: '/model/r-bed/converse-stream',
    body: converseRequest,
    upstream: converseStream,
    observation: bedrockObs,
    cost: BEDROCK_COST,
  },
  {
    name: 'invoke (Bedrock usage headers)',
    path: '/model/r-bed/invoke',
    body: invokeRequest,
    upstream: {
      headers: {
        'content-type': 'application/json',
        'x-amzn-bedrock-input-token-count': String(IN),
        'x-amzn-bedrock-output-token-count': String(OUT),
        'x-amzn-bedrock-cache-read-input-token-count': String(READ),
        'x-amzn-bedrock-cache-write-input-token-count': String(WRITE),
      },
      body: [JSON.stringify({ ...invokeMessage, usage: { input_tokens: 1, output_tokens: 1 } })],
    },
    observation: bedrockObs,
    cost: BEDROCK_COST,
  },
  {
    name: 'invoke (Anthropic body usage)',
    path: '/model/r-bed/invoke',
    body: invokeRequest,
    upstream: json(invokeMessage),
    observation: bedrockObs,
    cost: BEDROCK_COST,
  },
  {
    name: 'invoke-with-response-stream',
    path: '/model/r-bed/invoke-with-response-stream',
    body: invokeRequest,
    upstream: {
      body: [
        invokeChunk({ type: 'message_start', message: { usage: { ...anthropicUsage, output_tokens: 1 } } }),
        invokeChunk({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'ok' } }),
        invokeChunk({ type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: OUT } }),
        invokeChunk({
          type: 'message_stop',
          'amazon-bedrock-invocationMetrics': {
            inputTokenCount: IN,
            outputTokenCount: OUT,
            cacheReadInputTokenCount: READ,
            cacheWriteInputTokenCount: WRITE,
          },
        }),
      ],
    },
    observation: bedrockObs,
    cost: BEDROCK_COST,
  },
  {
    name: 'chat-completions',
    path: '/v1/chat/completions',
    body: chatRequest('r-oai', false),
    upstream: chatWhole,
    observation: chatObs,
    cost: OPENAI_COST,
  },
  {
    name: 'chat-completions-stream',
    path: '/v1/chat/completions',
    body: chatRequest('r-oai', true),
    upstream: chatStream,
    observation: chatObs,
    cost: OPENAI_COST,
  },
  {
    name: 'converse translated to Chat',
    path: '/model/r-oai/converse',
    body: converseRequest,
    upstream: chatWhole,
    observation: chatObs,
    cost: OPENAI_COST,
  },
  {
    name: 'converse-stream translated to Chat',
    path: '/model/r-oai/converse-stream',
    body: converseRequest,
    upstream: chatStream,
    observation: chatObs,
    cost: OPENAI_COST,
  },
  {
    name: 'chat translated to Converse',
    path: '/v1/chat/completions',
    body: chatRequest('r-bed', false),
    upstream: converseWhole,
    observation: bedrockObs,
    cost: BEDROCK_COST,
  },
  {
    name: 'chat stream translated to ConverseStream',
    path: '/v1/chat/completions',
    body: chatRequest('r-bed', true),
    upstream: converseStream,
    observation: bedrockObs,
    cost: BEDROCK_COST,
  },
  {
    name: 'converse, application inference profile ARN priced through priceKey',
    path: '/model/r-app/converse',
    body: converseRequest,
    upstream: converseWhole,
    observation: bedrockObs,
    cost: BEDROCK_COST,
  },
  {
    name: 'converse passed through to a cross-region inference profile id',
    path: '/model/eu.bedrock-model/converse',
    body: converseRequest,
    upstream: converseWhole,
    observation: { ...bedrockObs, arm: 'passthrough', upstreamModel: 'eu.bedrock-model' },
    cost: BEDROCK_COST,
  },
  {
    name: 'converse passed through to an application inference profile ARN with its own pricing row',
    path: `/model/${encodeURIComponent(APP_PROFILE)}/converse`,
    body: converseRequest,
    upstream: converseWhole,
    observation: { ...bedrockObs, upstreamModel: APP_PROFILE },
    cost: BEDROCK_COST,
  },
  {
    name: 'converse, model without cache prices',
    path: '/model/r-plain/converse',
    body: converseRequest,
    upstream: converseWhole,
    observation: bedrockObs,
    cost: FALLBACK_COST,
  },
];

function harness() {
  const upstream = new ScriptedUpstream();
  const sink = new MemoryObservationSink();
  const app = createGatewayApp({
    config: staticConfig(CONFIG),
    upstreams: {
      bedrock: bedrockUpstream({ endpoint: 'http://bedrock.test', region: 'us-east-1', apiKey: 'k', transport: upstream.transport }),
      openai: openaiUpstream({ transport: upstream.transport, env: () => undefined }),
    },
    sink,
    telemetry: noTelemetry,
    auth: { enabled: () => false, isValid: async () => false },
    lifecycle: new Lifecycle(),
    maxBodyBytes: 1 << 20,
    upstreamIdleTimeoutMs: 1_000,
    now: () => performance.now(),
  });
  const post = async (path: string, body: unknown) => {
    const res = await app.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-intent': 'faq' },
      body: JSON.stringify(body),
    });
    return { res, bytes: new Uint8Array(await res.arrayBuffer()) };
  };
  return { upstream, sink, post };
}

describe('prompt-cache tokens: parsed from every operation, stored and priced', () => {
  it.each(FIXTURES)('$name', async (f) => {
    const h = harness();
    h.upstream.next(f.upstream);
    const { res } = await h.post(f.path, f.body);
    expect(res.status).toBe(200);
    const [obs] = await h.sink.waitFor(1);
    expect(obs).toMatchObject({ status: 200, errorCode: null, ...f.observation });
    expect(Math.abs(obs!.costUsd! - f.cost)).toBeLessThan(1e-9);
  });

  it('says the cache counts in the client protocol when translating, and passes cache points on', async () => {
    const h = harness();
    h.upstream.next(converseWhole);
    const chat = await h.post('/v1/chat/completions', chatRequest('r-bed', false));
    const usage = (JSON.parse(new TextDecoder().decode(chat.bytes)) as { usage: unknown }).usage;
    expect(usage).toEqual({
      prompt_tokens: IN + READ + WRITE,
      completion_tokens: OUT,
      total_tokens: IN + READ + WRITE + OUT,
      prompt_tokens_details: { cached_tokens: READ },
    });
    expect(JSON.parse(h.upstream.requests[0]!.body).system).toEqual([
      { text: 'You are a shop assistant.' },
      { cachePoint: { type: 'default' } },
    ]);

    h.upstream.next(chatStream);
    const converse = await h.post('/model/r-oai/converse-stream', converseRequest);
    const metadata = readFrames(converse.bytes).find((f) => f.type === 'metadata');
    expect(metadata?.json.usage).toEqual({
      inputTokens: IN,
      outputTokens: OUT,
      totalTokens: IN + READ + OUT,
      cacheReadInputTokens: READ,
      cacheWriteInputTokens: 0,
    });
    const sent = JSON.parse(h.upstream.requests[1]!.body) as { messages: { content: unknown }[] };
    expect(sent.messages[0]!.content).toEqual([{ type: 'text', text: 'You are a shop assistant.', cache_control: { type: 'ephemeral' } }]);
    expect(sent.messages[1]!.content).toEqual([{ type: 'text', text: 'catalogue ...hi', cache_control: { type: 'ephemeral' } }]);

    h.upstream.next(converseStream);
    const stream = await h.post('/v1/chat/completions', { ...chatRequest('r-bed', true), stream_options: { include_usage: true } });
    const last = readSse(new TextDecoder().decode(stream.bytes))
      .filter((e) => e !== '[DONE]' && e.usage)
      .at(-1) as { usage: unknown };
    expect(last.usage).toMatchObject({ prompt_tokens: IN + READ + WRITE, prompt_tokens_details: { cached_tokens: READ } });
  });

  it('leaves a pass-through model without a price unpriced (costUsd null), inference profile or not', async () => {
    const h = harness();
    for (const model of ['us.unknown-model', 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/zzz']) {
      h.upstream.next(converseWhole);
      await h.post(`/model/${encodeURIComponent(model)}/converse`, converseRequest);
    }
    const rows = await h.sink.waitFor(2);
    expect(rows.map((o) => [o.upstreamModel, o.cacheReadInputTokens, o.costUsd])).toEqual([
      ['us.unknown-model', READ, null],
      ['arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/zzz', READ, null],
    ]);
  });

  it('records no cache counts (null) when the upstream reports none, and prices input and output only', async () => {
    const h = harness();
    h.upstream.next(
      json({
        output: { message: { role: 'assistant', content: [{ text: 'ok' }] } },
        usage: { inputTokens: IN, outputTokens: OUT, totalTokens: IN + OUT },
      }),
    );
    await h.post('/model/r-bed/converse', { messages: [{ role: 'user', content: [{ text: 'hi' }] }] });
    const [obs] = await h.sink.waitFor(1);
    expect(obs).toMatchObject({ inputTokens: IN, outputTokens: OUT, cacheReadInputTokens: null, cacheWriteInputTokens: null });
    // (100 x 0.003 + 50 x 0.015) / 1000
    expect(Math.abs(obs!.costUsd! - 0.00105)).toBeLessThan(1e-9);
  });
});
