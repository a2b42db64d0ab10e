/**
 * A Worker for the contract suite under workerd: the gateway app (createGatewayApp) with the suite's configuration,
 * its upstream calls and observations sent over HTTP to a bridge in the test process (which plays the scripted
 * upstream and keeps the records), and test routes: `/__reset?generation=N` (a fresh app, as each test gets on Node;
 * its records are tagged N), `/__buckets` (bucketOf computed by this runtime).
 */
import { createGatewayApp } from '../../gateway/app.ts';
import { staticConfig } from '../../gateway/deps.ts';
import { RequestLifecycle } from '../../gateway/edge/request-lifecycle.ts';
import { bucketOf, initBucketing } from '../../gateway/routing/bucket.ts';
import { noTelemetry } from '../../gateway/telemetry/interface.ts';
import { bedrockUpstream } from '../../gateway/upstreams/bedrock/client.ts';
import { fetchTransport } from '../../gateway/upstreams/http/fetch.ts';
import type { HttpTransport } from '../../gateway/upstreams/http/interface.ts';
import { openaiUpstream } from '../../gateway/upstreams/openai/client.ts';
import { GatewayConfig } from '../../schema/config.ts';
import type { FeedbackRecord } from '../../schema/feedback.ts';
import type { Observation } from '../../schema/observation.ts';
import type { ObservationSink } from '../../stores/observations/interface.ts';

interface Bindings {
  BRIDGE_URL: string;
  CONTRACT_CONFIG: string;
  IDLE_MS: string;
}

/** Sends each record to the bridge when flushed (after the request finished). */
class BridgeSink implements ObservationSink {
  private observations: Observation[] = [];
  private feedback: FeedbackRecord[] = [];
  constructor(
    private readonly url: string,
    private readonly generation: string,
  ) {}
  record(o: Observation): void {
    this.observations.push(o);
  }
  recordFeedback(events: FeedbackRecord[]): void {
    this.feedback.push(...events);
  }
  ready(): boolean {
    return true;
  }
  async flush(): Promise<void> {
    const batch = { generation: this.generation, observations: this.observations.splice(0), feedback: this.feedback.splice(0) };
    if (!batch.observations.length && !batch.feedback.length) return;
    await fetch(`${this.url}/__records`, { method: 'POST', body: JSON.stringify(batch) });
  }
}

function build(env: Bindings, generation: string) {
  const bridge = new URL(env.BRIDGE_URL);
  const base = fetchTransport();
  // Every upstream origin (the suite's bedrock.test and openai.test) goes to the bridge, path unchanged.
  const transport: HttpTransport = (request) => base({ ...request, origin: bridge.origin });
  const lifecycle = new RequestLifecycle();
  const sink = new BridgeSink(bridge.origin, generation);
  const app = createGatewayApp({
    config: staticConfig(GatewayConfig.parse(JSON.parse(env.CONTRACT_CONFIG))),
    upstreams: {
      bedrock: bedrockUpstream({ endpoint: 'http://bedrock.test', region: 'us-east-1', apiKey: 'test-key', transport }),
      openai: openaiUpstream({ transport, env: () => undefined }),
    },
    sink,
    telemetry: noTelemetry,
    auth: { enabled: () => false, isValid: async () => false },
    lifecycle,
    maxBodyBytes: 1 << 20,
    upstreamIdleTimeoutMs: Number(env.IDLE_MS),
    now: () => performance.now(),
  });
  return { app, lifecycle, sink };
}

let current: ReturnType<typeof build> | null = null;

export default {
  async fetch(request: Request, env: Bindings, ctx: { waitUntil(p: Promise<unknown>): void }): Promise<Response> {
    await initBucketing();
    const path = new URL(request.url).pathname;
    if (path === '/__reset') {
      current = build(env, new URL(request.url).searchParams.get('generation') ?? '0');
      return new Response('reset');
    }
    if (path === '/__buckets') {
      const { salt, sessions } = (await request.json()) as { salt: string; sessions: string[] };
      return Response.json(sessions.map((s) => bucketOf(salt, s)));
    }
    current ??= build(env, '0');
    const { lifecycle, sink } = current;
    lifecycle.next((finished) => ctx.waitUntil(finished.then(() => sink.flush())));
    const response = current.app.fetch(request);
    if (lifecycle.disarm()) ctx.waitUntil(Promise.resolve(response).then(() => sink.flush()));
    return response;
  },
};
