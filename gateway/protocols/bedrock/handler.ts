import type { Context } from 'hono';
import { applyConfigToChat } from '../../canonical.ts';
import type { GatewayDeps, GatewayEnv } from '../../deps.ts';
import { GatewayError } from '../../errors.ts';
import { routedCalls, sendUpstream } from '../../routed.ts';
import { translateCall } from '../../translate.ts';
import { upstreamCodecs } from '../codecs.ts';
import { converseClientCodec } from './converse-codec.ts';
import { converseToChat } from './converse-request.ts';
import { bedrockPassThrough } from './pass-through.ts';
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
    const { config, resolution } = call;
    if (config && config.upstream.provider !== 'bedrock') {
      if (!operation.startsWith('converse')) {
        throw new GatewayError(
          'invalid_request',
          `configuration "${config.id}" uses the ${config.upstream.provider} provider: call converse or converse-stream, invoke bodies are Anthropic-only`,
        );
      }
      const request = applyConfigToChat(converseToChat(body), config, call.snapshot.config);
      const upstream = deps.upstreams[config.upstream.provider];
      const upstreamCodec = upstreamCodecs[config.upstream.provider];
      return translateCall(call, {
        request,
        target: config.upstream,
        stream: operation === 'converse-stream',
        upstream,
        upstreamCodec,
        clientCodec: converseClientCodec,
      });
    }
    const target = config?.upstream ?? { provider: 'bedrock' as const, modelId };
    const outBody = config
      ? encoder.encode(JSON.stringify(applyConfig(operation, body, config, call.snapshot.config)))
      : encoder.encode(text);
    const response = await sendUpstream(call, deps.upstreams.bedrock, { target, operation, body: outBody, intent: resolution.intent });
    return bedrockPassThrough(operation, response, call);
  };
}
