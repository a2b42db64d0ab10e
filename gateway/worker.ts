import bundledFile from '../config/mangaassist.json' with { type: 'json' };
import { lineLogger } from '../lib/log/line.ts';
import { timeOrderedUuid } from '../lib/uuid.ts';
import { parseEnv } from '../schema/env.ts';
import { dynamoHttpRecordStore } from '../stores/observations/dynamodb-http.ts';
import { MemoryObservationSink } from '../stores/observations/memory.ts';
import { createGatewayApp } from './app.ts';
import { bundledConfig, edgeConfig, type EdgeConfig } from './edge/config.ts';
import { stringBindings, WorkerEnv, type WorkerSettings } from './edge/env.ts';
import { RequestLifecycle } from './edge/request-lifecycle.ts';
import { EdgeSink } from './edge/sink.ts';
import { routeErrorResponse } from './errors.ts';
import { initBucketing } from './routing/bucket.ts';
import { noTelemetry } from './telemetry/interface.ts';
import { bedrockUpstream } from './upstreams/bedrock/client.ts';
import { openaiUpstream } from './upstreams/openai/client.ts';

/** The part of the Workers `ExecutionContext` the entry uses. */
interface WorkerContext {
  waitUntil(promise: Promise<unknown>): void;
}

/** Services built once per isolate, at its first request. */
interface Isolate {
  fetch: (request: Request) => Response | Promise<Response>;
  lifecycle: RequestLifecycle;
  sink: EdgeSink | null;
  config: EdgeConfig;
}

let isolate: Promise<Isolate> | null = null;

function buildSink(env: WorkerSettings, log: (msg: string, fields: Record<string, string | number>) => void): EdgeSink | null {
  if (env.OBSERVATION_STORE === 'off' || !env.AWS_ACCESS_KEY_ID || !env.AWS_SECRET_ACCESS_KEY) return null;
  const store = dynamoHttpRecordStore({
    table: env.DYNAMODB_OBSERVATIONS_TABLE,
    region: env.AWS_REGION,
    endpoint: env.DYNAMODB_ENDPOINT,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN },
  });
  return new EdgeSink(store, {
    onDropped: (count, error) => log('observations dropped', { count, error: error instanceof Error ? error.message : String(error) }),
  });
}

async function build(bindings: Record<string, unknown>): Promise<Isolate> {
  const env = parseEnv(WorkerEnv, stringBindings(bindings));
  const logger = lineLogger({ format: env.LOG_FORMAT, level: env.LOG_LEVEL });
  await initBucketing();
  const config = await edgeConfig(env, bundledConfig(bundledFile), logger);
  const sink = buildSink(env, (msg, fields) => logger.error(msg, fields));
  const lifecycle = new RequestLifecycle();
  const credentials =
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN }
      : undefined;
  const app = createGatewayApp({
    config: config.source,
    upstreams: {
      bedrock: bedrockUpstream({
        endpoint: env.BEDROCK_ENDPOINT ?? `https://bedrock-runtime.${env.AWS_REGION}.amazonaws.com`,
        region: env.AWS_REGION,
        timeoutMs: env.UPSTREAM_TIMEOUT_MS,
        ...(env.AWS_BEARER_TOKEN_BEDROCK ? { apiKey: env.AWS_BEARER_TOKEN_BEDROCK } : { credentials }),
      }),
      // OpenAI-compatible keys are Worker secrets named by each configuration's `apiKeyEnv`.
      openai: openaiUpstream({ timeoutMs: env.UPSTREAM_TIMEOUT_MS, env: (name) => stringBindings(bindings)[name] }),
    },
    sink: sink ?? new MemoryObservationSink(0),
    telemetry: noTelemetry,
    auth: config.auth,
    lifecycle,
    maxBodyBytes: env.MAX_BODY_BYTES,
    upstreamIdleTimeoutMs: env.UPSTREAM_IDLE_TIMEOUT_MS,
    now: () => performance.now(),
    logger,
  });
  return { fetch: app.fetch, lifecycle, sink, config };
}

const ignore = (): void => {};

function health(it: Isolate): Response {
  const stats = it.config.stats();
  return Response.json({
    status: 'ok',
    runtime: 'worker',
    observations: it.sink ? it.sink.stats() : 'off',
    config: stats ? { version: stats.version, failedPolls: stats.failedPolls, unavailable: stats.unavailable } : 'bundled',
  });
}

/** The data plane as a Cloudflare Worker: the same app as on Node, with fetch upstreams and an isolate-cached config. */
export default {
  async fetch(request: Request, bindings: Record<string, unknown>, ctx: WorkerContext): Promise<Response> {
    isolate ??= build(bindings).catch((err: unknown) => {
      isolate = null;
      throw err;
    });
    let it: Isolate;
    try {
      it = await isolate;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      console.error(`worker failed to start: ${message}`);
      // The route family's error shape, so SDK clients see a typed server error, not an unknown one.
      const path = new URL(request.url).pathname;
      return routeErrorResponse(path, 'internal', `the gateway is misconfigured: ${message}`, timeOrderedUuid());
    }
    if (request.method === 'GET' && new URL(request.url).pathname === '/healthz') return health(it);
    const sink = it.sink;
    // The flush runs once this request has finished (its observation recorded), after the answer went out.
    if (sink) it.lifecycle.next((finished) => ctx.waitUntil(finished.then(() => sink.flush())));
    const pending = it.fetch(request);
    if (it.lifecycle.disarm() && sink) ctx.waitUntil(Promise.resolve(pending).then(() => sink.flush()));
    // The version key is read once the answer is out, so a poll (and a reload) never competes with the request.
    const config = it.config;
    ctx.waitUntil(
      Promise.resolve(pending)
        .then(ignore, ignore)
        .then(() => config.refresh()),
    );
    return pending;
  },
};
