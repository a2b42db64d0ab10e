/**
 * The in-process app the fallback tests drive: configurations with fallbacks over a scripted upstream.
 */
import type { GatewayConfig } from '../../schema/config.ts';
import { MemoryLogger } from '../../lib/log/memory.ts';
import { MemoryObservationSink } from '../../stores/observations/memory.ts';
import { createGatewayApp } from '../app.ts';
import { parseGatewayConfig } from '../config/load.ts';
import { ScriptedUpstream, type Script } from '../contract/scripted-upstream.ts';
import { staticConfig } from '../deps.ts';
import { Lifecycle } from '../lifecycle.ts';
import { prometheusTelemetry } from '../telemetry/prometheus.ts';
import { bedrockUpstream } from '../upstreams/bedrock/client.ts';
import type { HttpTransport } from '../upstreams/http/interface.ts';
import { openaiUpstream } from '../upstreams/openai/client.ts';
import { DEFAULT_FALLBACK_POLICY, type FallbackPolicy } from './policy.ts';

/** `primary` falls back to `backup` (Bedrock), then `oai` (OpenAI-compatible, reached by translation). */
export const CONFIG = parseGatewayConfig({
  pricing: {
    'primary-model': { inputPer1k: 1, outputPer1k: 2 },
    'backup-model': { inputPer1k: 3, outputPer1k: 4 },
    'openai-model': { inputPer1k: 5, outputPer1k: 6 },
  },
  configs: [
    { id: 'primary', upstream: { provider: 'bedrock', modelId: 'primary-model' }, maxTokens: 100, fallbacks: ['backup', 'oai'] },
    { id: 'backup', upstream: { provider: 'bedrock', modelId: 'backup-model' }, maxTokens: 100 },
    { id: 'oai', upstream: { provider: 'openai', baseUrl: 'http://openai.test/v1', model: 'openai-model' }, maxTokens: 100 },
    {
      id: 'oai-first',
      upstream: { provider: 'openai', baseUrl: 'http://openai.test/v1', model: 'openai-model' },
      maxTokens: 100,
      fallbacks: ['backup'],
    },
    { id: 'solo', upstream: { provider: 'bedrock', modelId: 'primary-model' }, maxTokens: 100 },
  ],
  routes: [
    { name: 'r-main', intents: ['faq'], default: 'primary' },
    { name: 'r-oai', intents: ['faq'], default: 'oai-first' },
  ],
  experiments: [{ id: 'exp', route: 'r-main', control: 'primary', treatment: 'solo', split: 0 }],
});

/** A Bedrock throttling answer. */
export const throttled: Script = {
  status: 429,
  headers: { 'x-amzn-errortype': 'ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/' },
  body: ['{"message":"Too many requests, please wait before trying again."}'],
};
/** An error answer with this status. */
export const failing = (status: number): Script => ({ status, body: [`{"message":"upstream ${status}"}`] });
/** A whole JSON answer. */
export const json = (body: string): Script => ({ status: 200, headers: { 'content-type': 'application/json' }, body: [body] });

/** An app over CONFIG with a scripted upstream, a memory sink, Prometheus telemetry and a memory logger; 1-2 ms backoffs. */
export function openFallbackApp(
  options: { policy?: Partial<FallbackPolicy>; transport?: (inner: HttpTransport) => HttpTransport; config?: GatewayConfig } = {},
) {
  const upstream = new ScriptedUpstream();
  const transport = options.transport ? options.transport(upstream.transport) : upstream.transport;
  const sink = new MemoryObservationSink();
  const telemetry = prometheusTelemetry({ defaultMetrics: false });
  const logger = new MemoryLogger();
  const lifecycle = new Lifecycle();
  const app = createGatewayApp({
    config: staticConfig(options.config ?? CONFIG),
    upstreams: {
      bedrock: bedrockUpstream({ endpoint: 'http://bedrock.test', region: 'us-east-1', apiKey: 'k', transport }),
      openai: openaiUpstream({ transport, env: () => undefined }),
    },
    sink,
    telemetry,
    auth: { enabled: () => false, isValid: async () => false },
    lifecycle,
    maxBodyBytes: 1 << 20,
    upstreamIdleTimeoutMs: 1_000,
    now: () => performance.now(),
    fallback: { ...DEFAULT_FALLBACK_POLICY, baseDelayMs: 1, maxDelayMs: 2, ...options.policy },
    random: () => 0.5,
    logger,
  });
  const headers = { 'content-type': 'application/json', 'x-intent': 'faq', 'x-session-id': 'session-1' };
  const post = (path: string, body: unknown, signal?: AbortSignal) =>
    Promise.resolve(app.request(path, { method: 'POST', headers, body: JSON.stringify(body), signal }));
  const converse = (operation = 'converse', model = 'r-main', signal?: AbortSignal) =>
    post(`/model/${model}/${operation}`, { messages: [{ role: 'user', content: [{ text: 'hi' }] }] }, signal);
  const invoke = () =>
    post('/model/r-main/invoke', { anthropic_version: 'bedrock-2023-05-31', messages: [{ role: 'user', content: 'hi' }] });
  const chat = (model: string, stream = false) =>
    post('/v1/chat/completions', { model, stream, messages: [{ role: 'user', content: 'hi' }] });
  const metrics = async () => (await telemetry.exposition!()).body;
  return { upstream, sink, post, converse, invoke, chat, metrics, logger, lifecycle };
}

/** The paths the upstream was called on, in order. */
export const paths = (u: ScriptedUpstream) => u.requests.map((r) => r.path);
