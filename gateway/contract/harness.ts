import { parseGatewayConfig } from '../config/load.ts';
import type { GatewayConfig } from '../../schema/config.ts';
import { MemoryObservationSink } from '../../stores/observations/memory.ts';
import { staticConfig, type GatewayDeps } from '../deps.ts';
import { Lifecycle } from '../lifecycle.ts';
import { noTelemetry } from '../telemetry/interface.ts';
import { bedrockUpstream } from '../upstreams/bedrock/client.ts';
import { openaiUpstream } from '../upstreams/openai/client.ts';
import { readFrames, readSse, type ReadFrame } from './answers.ts';
import type { ScriptedUpstream } from './scripted-upstream.ts';

/** The app of the build under test, as far as the suite drives it. */
export interface AppUnderTest {
  request(path: string, init?: RequestInit): Response | Promise<Response>;
}

/**
 * What the runtime under test has. The suite defines only the cases a runtime has the means for: a case for a thing
 * the runtime does not have is not defined at all (docs/edge.md lists them for the Worker).
 */
export interface RuntimeCapabilities {
  /** A shutdown that cuts the calls in flight (a Node process; a Worker has none: no request can touch another's I/O). */
  shutdown: boolean;
  /**
   * The app hears of a client that leaves while its answer waits on the upstream (the request's signal, or the
   * runtime cancelling the answer's body). Local workerd notices a client gone only when it next writes to it.
   */
  clientLeaveNotice: boolean;
}

/** What the contract suite runs against: an app factory and the scripted upstream its deps send calls to. */
export interface DataPlaneTarget {
  createApp(deps: GatewayDeps): AppUnderTest;
  /** A fresh fake upstream per test. */
  upstream(): ScriptedUpstream;
  /** What the runtime has; every capability by default. */
  runtime?: Partial<RuntimeCapabilities>;
}

/** The runtime's capabilities, every one that the target does not deny. */
export function capabilitiesOf(target: DataPlaneTarget): RuntimeCapabilities {
  return { shutdown: true, clientLeaveNotice: true, ...target.runtime };
}

/** The idle deadline in the suite: long enough for in-process reads (which never wait on a timer), short for stalls. */
export const IDLE_MS = 50;

/** Routes: `r-bed` to a Bedrock configuration, `r-oai` to an OpenAI-compatible one. */
export const CONFIG = parseGatewayConfig({
  pricing: { 'bedrock-model': { inputPer1k: 1, outputPer1k: 2 }, 'openai-model': { inputPer1k: 3, outputPer1k: 4 } },
  configs: [
    { id: 'bed', upstream: { provider: 'bedrock', modelId: 'bedrock-model' }, maxTokens: 100 },
    { id: 'oai', upstream: { provider: 'openai', baseUrl: 'http://openai.test/v1', model: 'openai-model' }, maxTokens: 100 },
  ],
  routes: [
    { name: 'r-bed', intents: ['faq'], default: 'bed' },
    { name: 'r-oai', intents: ['faq'], default: 'oai' },
  ],
});

const noKeys = { enabled: () => false, isValid: async () => false };

/** One test's app, sink, lifecycle and fake upstream, with request helpers in both client protocols (`config`: `CONFIG`'s routes or others). */
export function openHarness(target: DataPlaneTarget, config: GatewayConfig = CONFIG) {
  const upstream = target.upstream();
  const sink = new MemoryObservationSink();
  const lifecycle = new Lifecycle();
  const app = target.createApp({
    config: staticConfig(config),
    upstreams: {
      bedrock: bedrockUpstream({ endpoint: 'http://bedrock.test', region: 'us-east-1', apiKey: 'test-key', transport: upstream.transport }),
      openai: openaiUpstream({ transport: upstream.transport, env: () => undefined }),
    },
    sink,
    telemetry: noTelemetry,
    auth: noKeys,
    lifecycle,
    maxBodyBytes: 1 << 20,
    upstreamIdleTimeoutMs: IDLE_MS,
    now: () => performance.now(),
  });
  const headers = { 'content-type': 'application/json', 'x-intent': 'faq' };
  const post = (path: string, body: unknown, signal?: AbortSignal) =>
    Promise.resolve(app.request(path, { method: 'POST', headers, body: JSON.stringify(body), signal }));
  return {
    upstream,
    sink,
    lifecycle,
    /** A Bedrock Runtime call (Converse body, or Anthropic body for the invoke operations). */
    bedrock(route: string, operation: string, signal?: AbortSignal) {
      const content = operation.startsWith('converse') ? [{ text: 'hi' }] : 'hi';
      const body = { messages: [{ role: 'user', content }] };
      return post(`/model/${route}/${operation}`, body, signal);
    },
    /** A Chat Completions call. */
    chat(model: string, stream: boolean, extra: Record<string, unknown> = {}, signal?: AbortSignal) {
      return post('/v1/chat/completions', { model, messages: [{ role: 'user', content: 'hi' }], stream, ...extra }, signal);
    },
  };
}

export type Harness = ReturnType<typeof openHarness>;

/** Reads what is left of a streamed answer, chunk by chunk, after the chunks already read. */
export async function readChunks(reader: ReadableStreamDefaultReader<Uint8Array>, chunks: Uint8Array[] = []): Promise<Uint8Array[]> {
  for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value);
  return chunks;
}

/** A streamed answer's units in either client protocol: event-stream frames, or server-sent events. */
export type Unit = ReadFrame | Record<string, unknown> | '[DONE]';

const text = new TextDecoder();

/**
 * The units of a streamed answer, checking that every chunk the client got holds whole units only (frames
 * whose CRCs hold, events that end with their blank line).
 */
export function unitsOf(chunks: Uint8Array[], protocol: 'bedrock' | 'openai'): Unit[] {
  if (protocol === 'bedrock') return chunks.flatMap((chunk) => readFrames(chunk));
  return chunks.flatMap((chunk) => {
    const s = text.decode(chunk);
    if (!s.endsWith('\n\n')) throw new Error(`a chunk ends inside an event: ${JSON.stringify(s.slice(-40))}`);
    return readSse(s);
  });
}

/** Reads a whole streamed answer into units (see `unitsOf`). */
export async function readUnits(res: Response, protocol: 'bedrock' | 'openai'): Promise<Unit[]> {
  return unitsOf(await readChunks(res.body!.getReader()), protocol);
}
