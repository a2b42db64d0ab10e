import type { Context } from 'hono';
import { priceKeyOf } from '../../../schema/config.ts';
import { TrafficClass, type Observation, type Operation } from '../../../schema/observation.ts';
import type { GatewayDeps, GatewayEnv } from '../../deps.ts';
import { GatewayError } from '../../errors.ts';
import { RequestMeter } from '../../metering/meter.ts';
import { gatewayHeaders } from '../../headers.ts';
import { resolve } from '../../routing/resolve.ts';
import { bufferThrough, streamThrough, type CutBy } from './pass-through.ts';
import { applyConfig, parseBody, parseOperation, routingInputs } from './request.ts';

const encoder = new TextEncoder();

/** Handles `POST /model/{modelId}/{operation}`: route, apply the configuration, forward, meter. */
export function bedrockHandler(deps: GatewayDeps) {
  const record = (o: Observation): void => {
    deps.telemetry.observation(o);
    deps.sink.record(o);
  };
  const cutBy: CutBy = () =>
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
    const own = (): Record<string, string> => gatewayHeaders(c, deps.now);
    if (response.status < 300 && operation.endsWith('stream')) return streamThrough(c.var.signal, operation, response, meter, cutBy, own);
    return bufferThrough(c.var.signal, operation, response, meter, cutBy, own);
  };
}

function parseTraffic(value: string | undefined): TrafficClass {
  if (value === undefined) return 'live';
  const parsed = TrafficClass.safeParse(value);
  if (!parsed.success) throw new GatewayError('invalid_request', `x-gateway-traffic must be one of ${TrafficClass.options.join(', ')}, got "${value}"`);
  return parsed.data;
}
