import type { Context } from 'hono';
import { priceKeyOf } from '../../../schema/config.ts';
import { TrafficClass, type Observation, type Operation } from '../../../schema/observation.ts';
import type { GatewayDeps, GatewayEnv } from '../../deps.ts';
import { GatewayError } from '../../errors.ts';
import { RequestMeter } from '../../metering/meter.ts';
import { resolve } from '../../routing/resolve.ts';
import { BedrockStreamParser, exceptionFrame, normaliseErrorType, usageOfBody } from './events.ts';
import { applyConfig, parseBody, parseOperation, routingInputs } from './request.ts';

const encoder = new TextEncoder();
const PASSED_HEADERS = ['content-type', 'x-amzn-requestid', 'x-amzn-errortype', 'x-amzn-bedrock-content-type', 'x-amzn-bedrock-input-token-count', 'x-amzn-bedrock-output-token-count', 'x-amzn-bedrock-invocation-latency'];

/** Handles `POST /model/{modelId}/{operation}`: route, apply the configuration, forward, meter. */
export function bedrockHandler(deps: GatewayDeps) {
  const record = (o: Observation): void => {
    deps.telemetry.observation(o);
    deps.sink.record(o);
  };
  /** Who cut a call short: the shutdown's grace period running out, or the client. */
  const cutBy = (): { status: number; code: 'shutdown_abort' | 'client_abort' } =>
    deps.lifecycle.cutting ? { status: 503, code: 'shutdown_abort' } : { status: 499, code: 'client_abort' };
  return async (c: Context<GatewayEnv>): Promise<Response> => {
    const operation = parseOperation(c.req.param('operation') ?? '');
    const modelId = c.req.param('modelId') ?? '';
    const traffic = parseTraffic(c.req.header('x-gateway-traffic'));
    const text = await c.req.text();
    const body = parseBody(operation, text);
    const { intent, sessionId } = routingInputs(body, c.req.raw.headers);
    const snapshot = deps.config.current();
    const resolution = resolve(snapshot.index, modelId, intent, sessionId);
    if (!resolution) throw new GatewayError('unknown_config', `no model configuration "${modelId.slice('config:'.length)}"`);
    const config = resolution.config;
    const upstreamModel = config ? config.upstream.modelId : modelId;
    const meter = new RequestMeter(
      {
        requestId: c.var.requestId, time: c.var.time, t0: c.var.t0, operation, traffic, sessionId, resolution, upstreamModel,
        price: snapshot.config.pricing[config ? priceKeyOf(config) : modelId],
      },
      record,
      deps.now,
    );
    c.set('meter', meter);
    c.set('routed', { config: config?.id ?? resolution.route, arm: resolution.arm });
    const outBody = config ? encoder.encode(JSON.stringify(applyConfig(operation, body, config, snapshot.config))) : encoder.encode(text);
    const upstream = deps.upstreams[config?.upstream.provider ?? 'bedrock'];
    meter.upstreamStarted();
    const result = await upstream.call({ modelId: upstreamModel, operation, body: outBody, signal: c.var.signal, intent: resolution.intent });
    if (!result.ok) {
      meter.upstreamAnswered();
      const error = result.error.code === 'client_abort' ? new GatewayError(cutBy().code, result.error.message) : result.error;
      meter.finish(error.status, error.code);
      throw error;
    }
    const response = result.response;
    if (response.ok && operation.endsWith('stream') && response.body) return streamThrough(c.var.signal, operation, response, meter, cutBy);
    return bufferThrough(c.var.signal, operation, response, meter, cutBy);
  };
}

function parseTraffic(value: string | undefined): TrafficClass {
  if (value === undefined) return 'live';
  const parsed = TrafficClass.safeParse(value);
  if (!parsed.success) throw new GatewayError('invalid_request', `x-gateway-traffic must be one of ${TrafficClass.options.join(', ')}, got "${value}"`);
  return parsed.data;
}

function passedHeaders(upstream: Headers): Headers {
  const headers = new Headers();
  for (const name of PASSED_HEADERS) {
    const value = upstream.get(name);
    if (value !== null) headers.set(name, value);
  }
  return headers;
}

type CutBy = () => { status: number; code: 'shutdown_abort' | 'client_abort' };

async function bufferThrough(signal: AbortSignal, operation: Operation, response: Response, meter: RequestMeter, cutBy: CutBy): Promise<Response> {
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = new Uint8Array(await response.arrayBuffer());
  } catch {
    meter.upstreamAnswered();
    if (signal.aborted) {
      const cut = cutBy();
      meter.finish(cut.status, cut.code);
      throw new GatewayError(cut.code, 'the call was cut before the model finished its answer');
    }
    meter.finish(502, 'upstream_body_error');
    throw new GatewayError('upstream_unavailable', 'the model endpoint closed the connection mid-answer');
  }
  meter.upstreamAnswered();
  if (response.ok) {
    const usage = usageOfBody(operation, response.headers, bytes);
    meter.usage(usage.inputTokens, usage.outputTokens);
    meter.finish(response.status, null);
  } else {
    meter.finish(response.status, normaliseErrorType(response.headers.get('x-amzn-errortype') ?? errorTypeOfBody(bytes)));
  }
  return new Response(bytes, { status: response.status, headers: passedHeaders(response.headers) });
}

function errorTypeOfBody(bytes: Uint8Array): string {
  try {
    const json = JSON.parse(new TextDecoder().decode(bytes)) as { __type?: string; code?: string };
    return json.__type ?? json.code ?? 'InternalServerException';
  } catch {
    return 'InternalServerException';
  }
}

/** Passes each chunk on as it arrives while a parser reads usage and errors from a copy of the frames. */
function streamThrough(signal: AbortSignal, operation: Operation, response: Response, meter: RequestMeter, cutBy: CutBy): Response {
  meter.upstreamAnswered();
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  let parser: BedrockStreamParser | null = new BedrockStreamParser(operation);
  let status = 200;
  let errorCode: string | null = null;
  const inspect = (chunk: Uint8Array): void => {
    if (!parser) return;
    try {
      for (const event of parser.push(chunk)) {
        if (event.kind === 'content') meter.firstToken();
        else if (event.kind === 'usage') meter.usage(event.inputTokens, event.outputTokens);
        else if (event.kind === 'error') {
          errorCode = event.errorType;
          status = statusOfAwsError(event.errorType);
        }
      }
    } catch {
      // Metering fails open: the bytes still reach the client; the counts stay as last seen.
      parser = null;
    }
  };
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          controller.close();
          meter.finish(status, errorCode);
          return;
        }
        inspect(value);
        controller.enqueue(value);
      } catch (err) {
        const cut = cutBy();
        if (cut.code === 'client_abort' && signal.aborted) {
          meter.finish(cut.status, cut.code);
          controller.error(err);
          return;
        }
        // The client is still there: end its stream with an exception frame its SDK understands.
        const shutdown = cut.code === 'shutdown_abort';
        meter.finish(shutdown ? cut.status : 502, shutdown ? cut.code : 'upstream_stream_error');
        controller.enqueue(shutdown
          ? exceptionFrame('serviceUnavailableException', 'the gateway is shutting down; retry the request')
          : exceptionFrame('internalServerException', 'the model endpoint closed the stream mid-answer'));
        controller.close();
      }
    },
    cancel(reason) {
      const cut = cutBy();
      meter.finish(cut.status, cut.code);
      return reader.cancel(reason);
    },
  });
  return new Response(body, { status: 200, headers: passedHeaders(response.headers) });
}

const AWS_ERROR_STATUS: Record<string, number> = {
  ThrottlingException: 429,
  ValidationException: 400,
  ModelTimeoutException: 408,
  ModelStreamErrorException: 424,
  ServiceUnavailableException: 503,
  InternalServerException: 500,
};

function statusOfAwsError(type: string): number {
  return AWS_ERROR_STATUS[type] ?? 500;
}
