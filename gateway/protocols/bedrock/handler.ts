import type { Context } from 'hono';
import { applyConfigToChat } from '../../canonical.ts';
import type { GatewayDeps, GatewayEnv } from '../../deps.ts';
import { GatewayError } from '../../errors.ts';
import { routedCalls } from '../../routed.ts';
import { translateCall } from '../../translate.ts';
import { upstreamCodecs } from '../codecs.ts';
import { converseClientCodec, converseToChat } from './converse-codec.ts';
import { bufferThrough, streamThrough } from './pass-through.ts';
import { applyConfig, parseBody, parseOperation, routingInputs } from './request.ts';

const encoder = new TextEncoder();

/**
 * Handles `POST /model/{modelId}/{operation}`: route, apply the configuration, forward, meter. Calls
 * routed to a Bedrock configuration (or passed through) keep their bytes; calls routed to another
 * provider are translated (Converse only).
 */
export function bedrockHandler(deps: GatewayDeps) {
  const calls = routedCalls(deps);
  return async (c: Context<GatewayEnv>): Promise<Response> => {
    const operation = parseOperation(c.req.param('operation') ?? '');
    const modelId = c.req.param('modelId') ?? '';
    const text = await c.req.text();
    const body = parseBody(operation, text);
    const call = calls.begin(c, { operation, modelId, ...routingInputs(body, c.req.raw.headers) });
    const { config, meter, resolution } = call;
    const signal = c.var.signal;
    if (config && config.upstream.provider !== 'bedrock') {
      if (!operation.startsWith('converse')) {
        throw new GatewayError('invalid_request', `configuration "${config.id}" uses the ${config.upstream.provider} provider: call converse or converse-stream, invoke bodies are Anthropic-only`);
      }
      const request = applyConfigToChat(converseToChat(body), config, call.snapshot.config);
      const upstream = deps.upstreams[config.upstream.provider];
      const upstreamCodec = upstreamCodecs[config.upstream.provider];
      return translateCall({ request, config, stream: operation === 'converse-stream', upstream, upstreamCodec, clientCodec: converseClientCodec, meter, signal, intent: resolution.intent, cutBy: call.cutBy, headers: call.headers });
    }
    const target = config?.upstream ?? { provider: 'bedrock' as const, modelId };
    const outBody = config ? encoder.encode(JSON.stringify(applyConfig(operation, body, config, call.snapshot.config))) : encoder.encode(text);
    meter.upstreamStarted();
    const response = calls.answered(call, await deps.upstreams.bedrock.call({ target, operation, body: outBody, signal, intent: resolution.intent }));
    if (response.status < 300 && operation.endsWith('stream')) return streamThrough(signal, operation, response, meter, call.cutBy, call.headers);
    return bufferThrough(signal, operation, response, meter, call.cutBy, call.headers);
  };
}
