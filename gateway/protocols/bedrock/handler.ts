import type { Context } from 'hono';
import { applyConfigToChat } from '../../canonical.ts';
import type { GatewayEnv, RoutedDeps } from '../../deps.ts';
import { GatewayError } from '../../errors.ts';
import { routedCalls, sendUpstream } from '../../routed.ts';
import { translationPlan } from '../../translate.ts';
import type { PlanFor } from '../../fallback/run.ts';
import { upstreamCodecs } from '../codecs.ts';
import { converseClientCodec } from './converse-codec.ts';
import { converseToChat } from './converse-request.ts';
import { bedrockPassThrough } from './pass-through.ts';
import { applyConfig, parseBody, parseOperation, routingInputs } from './request.ts';
import { utf8 } from '../../../lib/utf8.ts';

/**
 * Handles `POST /model/{modelId}/{operation}`: route, apply the configuration, forward (to its fallbacks when
 * it throttles or fails before answering), meter. Calls routed to a Bedrock configuration (or passed through)
 * keep their bytes; calls routed to another provider are translated (Converse only; such a fallback is skipped
 * for the invoke operations and for calls that carry a `guardrailConfig`).
 */
export function bedrockHandler(deps: RoutedDeps) {
  const calls = routedCalls(deps);
  return async (c: Context<GatewayEnv>): Promise<Response> => {
    const operation = parseOperation(c.req.param('operation') ?? '');
    const modelId = c.req.param('modelId') ?? '';
    const text = await c.req.text();
    const body = parseBody(operation, text);
    const call = calls.begin(c, { operation, modelId, ...routingInputs(body, c.req.raw.headers), body: text });
    if (!call.config) {
      const target = { provider: 'bedrock' as const, modelId };
      const request = { target, operation, body: utf8(text), intent: call.resolution.intent };
      return bedrockPassThrough(operation, await sendUpstream(call, deps.upstreams.bedrock, request), call);
    }
    // An inline function, not one assigned to a name: nothing is named at run time per request.
    return calls.serve(call, (config, fallback): ReturnType<PlanFor> => {
      if (config.upstream.provider === 'bedrock') {
        const outBody = utf8(JSON.stringify(applyConfig(operation, body, config, call.snapshot.config)));
        return {
          client: deps.upstreams.bedrock,
          request: { target: config.upstream, operation, body: outBody, intent: call.resolution.intent },
          answer(response) {
            return bedrockPassThrough(operation, response, call);
          },
        };
      }
      // A guardrail has no Chat Completions twin: a fallback never serves a guarded call unguarded.
      if (fallback && body.guardrailConfig !== undefined) return null;
      if (!operation.startsWith('converse')) {
        if (fallback) return null;
        throw new GatewayError(
          'invalid_request',
          `configuration "${config.id}" uses the ${config.upstream.provider} provider: call converse or converse-stream, invoke bodies are Anthropic-only`,
        );
      }
      return translationPlan(call, {
        request: applyConfigToChat(converseToChat(body), config, call.snapshot.config),
        target: config.upstream,
        stream: operation === 'converse-stream',
        upstream: deps.upstreams[config.upstream.provider],
        upstreamCodec: upstreamCodecs[config.upstream.provider],
        clientCodec: converseClientCodec,
      });
    });
  };
}
