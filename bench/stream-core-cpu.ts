/**
 * CPU per request through the data plane in-process (no sockets, no simulator): the app from `createGatewayApp` of
 * the tree at ROOT, an upstream transport that hands over a 200-word answer, 10 requests in flight, median of 5
 * rounds of 3,000 after 2,000 warm-up requests. Streams come one frame or event per chunk, except `chat-stream-1`:
 * every event in one chunk, as the simulator's answers reach the gateway in `npm run bench`; `converse` and `chat`
 * are whole answers. Compares two trees (e.g. a checkout of the commit before a change, extracted with
 * `git archive`) on the same machine:
 *
 *   npx tsx bench/stream-core-cpu.ts <ROOT> converse-stream|chat-stream|chat-stream-1|converse|chat
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EventStreamCodec } from '@smithy/core/event-streams';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';

const [root = '.', mode = 'converse-stream'] = process.argv.slice(2);
const load = (path: string) => import(pathToFileURL(resolve(root, 'gateway', path)).href);
const { createGatewayApp } = await load('app.ts');
const { staticConfig } = await load('deps.ts');
const { Lifecycle } = await load('lifecycle.ts');
const { noTelemetry } = await load('telemetry/interface.ts');
const { bedrockUpstream } = await load('upstreams/bedrock/client.ts');
const { openaiUpstream } = await load('upstreams/openai/client.ts');
const { parseGatewayConfig } = await load('config/load.ts');

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const text = (type: string): { type: 'string'; value: string } => ({ type: 'string', value: type });
const frameHeaders = (type: string) => ({
  ':event-type': text(type),
  ':message-type': text('event'),
  ':content-type': text('application/json'),
});
const frame = (type: string, payload: unknown): Uint8Array =>
  codec.encode({ headers: frameHeaders(type), body: fromUtf8(JSON.stringify(payload)) });
const encoder = new TextEncoder();
const sse = (choices: unknown[], usage: unknown = null): Uint8Array =>
  encoder.encode(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices, usage })}\n\n`);
const words = Array.from({ length: 200 }, (_, i) => ` word${i}`);
const converse = [
  frame('messageStart', { role: 'assistant' }),
  ...words.map((t) => frame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: t } })),
  frame('contentBlockStop', { contentBlockIndex: 0 }),
  frame('messageStop', { stopReason: 'end_turn' }),
  frame('metadata', { usage: { inputTokens: 30, outputTokens: 200, totalTokens: 230 }, metrics: { latencyMs: 1 } }),
];
const chat = [
  sse([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]),
  ...words.map((content) => sse([{ index: 0, delta: { content }, finish_reason: null }])),
  sse([{ index: 0, delta: {}, finish_reason: 'stop' }]),
  sse([], { prompt_tokens: 30, completion_tokens: 200, total_tokens: 230 }),
  encoder.encode('data: [DONE]\n\n'),
];
const oneChunk = (parts: Uint8Array[]): Uint8Array[] => [Buffer.concat(parts)];
const wholeConverse = encoder.encode(
  JSON.stringify({
    output: { message: { role: 'assistant', content: [{ text: words.join('') }] } },
    stopReason: 'end_turn',
    usage: { inputTokens: 30, outputTokens: 200, totalTokens: 230 },
    metrics: { latencyMs: 1 },
  }),
);
const wholeChat = encoder.encode(
  JSON.stringify({
    id: 'c',
    object: 'chat.completion',
    created: 1,
    model: 'm',
    choices: [{ index: 0, message: { role: 'assistant', content: words.join('') }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 30, completion_tokens: 200, total_tokens: 230 },
  }),
);
const answers: Record<string, Uint8Array[]> = {
  'converse-stream': converse,
  'chat-stream': chat,
  'chat-stream-1': oneChunk(chat),
  converse: [wholeConverse],
  chat: [wholeChat],
};
const chunks = answers[mode];
if (!chunks) throw new Error(`unknown mode ${mode}: converse-stream, chat-stream, chat-stream-1, converse or chat`);
const contentType =
  mode === 'converse-stream'
    ? 'application/vnd.amazon.eventstream'
    : mode === 'converse' || mode === 'chat'
      ? 'application/json'
      : 'text/event-stream';
const transport = async () => {
  let i = 0;
  const bytes = async () => Buffer.concat(chunks.slice(i)) as Uint8Array<ArrayBuffer>;
  return {
    status: 200,
    header: (name: string) => (name === 'content-type' ? contentType : null),
    bytes,
    read: async () => chunks[i++] ?? null,
    cancel() {},
  };
};
const config = parseGatewayConfig({
  pricing: { b: { inputPer1k: 1, outputPer1k: 1 }, o: { inputPer1k: 1, outputPer1k: 1 } },
  configs: [
    { id: 'bed', upstream: { provider: 'bedrock', modelId: 'b' }, maxTokens: 100 },
    { id: 'oai', upstream: { provider: 'openai', baseUrl: 'http://o.test/v1', model: 'o' }, maxTokens: 100 },
  ],
  routes: [
    { name: 'r-bed', intents: ['faq'], default: 'bed' },
    { name: 'r-oai', intents: ['faq'], default: 'oai' },
  ],
});
const app = createGatewayApp({
  config: staticConfig(config),
  upstreams: {
    bedrock: bedrockUpstream({ endpoint: 'http://b.test', region: 'us-east-1', apiKey: 'k', transport }),
    openai: openaiUpstream({ transport }),
  },
  sink: { record() {}, recordFeedback() {}, flush: async () => {}, ready: () => true },
  telemetry: noTelemetry,
  auth: { enabled: () => false, isValid: async () => false },
  lifecycle: new Lifecycle(),
  maxBodyBytes: 1 << 20,
  upstreamIdleTimeoutMs: 30_000,
  now: () => performance.now(),
});
const headers = { 'content-type': 'application/json', 'x-intent': 'faq' };
const streaming = mode.endsWith('-stream') || mode === 'chat-stream-1';
const request = mode.startsWith('converse')
  ? { path: `/model/r-bed/${streaming ? 'converse-stream' : 'converse'}`, body: '{"messages":[{"role":"user","content":[{"text":"hi"}]}]}' }
  : {
      path: '/v1/chat/completions',
      body: JSON.stringify({
        model: 'r-oai',
        messages: [{ role: 'user', content: 'hi' }],
        ...(streaming ? { stream: true, stream_options: { include_usage: true } } : {}),
      }),
    };

async function one(): Promise<void> {
  const res: Response = await app.request(request.path, { method: 'POST', headers, body: request.body });
  const reader = res.body!.getReader();
  while (!(await reader.read()).done);
}

async function run(n: number): Promise<void> {
  let left = n;
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      while (left-- > 0) await one();
    }),
  );
}

await run(2_000);
const rounds: number[] = [];
for (let k = 0; k < 5; k++) {
  const before = process.cpuUsage();
  await run(3_000);
  const used = process.cpuUsage(before);
  rounds.push((used.user + used.system) / 3_000);
}
rounds.sort((a, b) => a - b);
console.log(`${mode}: CPU µs per request, median ${rounds[2]!.toFixed(1)} (min ${rounds[0]!.toFixed(1)}, max ${rounds[4]!.toFixed(1)})`);
