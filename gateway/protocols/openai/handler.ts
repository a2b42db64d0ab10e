import type { Context } from 'hono';
import { applyConfigToChat } from '../../canonical.ts';
import type { GatewayDeps, GatewayEnv, RoutedDeps } from '../../deps.ts';
import { GatewayError } from '../../errors.ts';
import { routedCalls } from '../../routed.ts';
import { translationPlan } from '../../translate.ts';
import type { PlanFor } from '../../fallback/run.ts';
import { upstreamCodecs } from '../codecs.ts';
import { chatClientCodec, chatToCanonical } from './chat-codec.ts';
import { chatPassThrough } from './pass-through.ts';
import { applyConfigToChatBody, chatRoutingInputs, parseChatBody } from './request.ts';

const encoder = new TextEncoder();

/**
 * `POST /v1/chat/completions`: `model` names a route (or `config:<id>`). Calls routed to an
 * OpenAI-compatible configuration pass through; calls routed to another provider are translated. A configuration
 * that throttles or fails before answering hands the call to its fallbacks.
 * Usage is recorded either way, whether or not the client asked for it.
 */
export function chatCompletionsHandler(deps: RoutedDeps) {
  const calls = routedCalls(deps);
  return async (c: Context<GatewayEnv>): Promise<Response> => {
    const text = await c.req.text();
    const body = parseChatBody(text);
    const stream = body.stream === true;
    const operation = stream ? 'chat-completions-stream' : 'chat-completions';
    const snapshot = deps.config.current();
    if (!body.model.startsWith('config:') && !snapshot.index.routes.has(body.model)) {
      throw new GatewayError('model_not_found', `model "${body.model}" is not a route of this gateway (GET /v1/models lists them)`);
    }
    const call = calls.begin(c, { operation, modelId: body.model, ...chatRoutingInputs(body, c.req.raw.headers), body: text }, snapshot);
    const includeUsage = body.stream_options?.include_usage === true;
    const planFor: PlanFor = (config) => {
      if (config.upstream.provider !== 'openai') {
        return translationPlan(call, {
          request: applyConfigToChat(chatToCanonical(body), config, call.snapshot.config),
          config,
          stream,
          upstream: deps.upstreams[config.upstream.provider],
          upstreamCodec: upstreamCodecs[config.upstream.provider],
          clientCodec: chatClientCodec(body.model, `chatcmpl-${c.var.requestId}`, includeUsage),
        });
      }
      const outBody = encoder.encode(JSON.stringify(applyConfigToChatBody(body, config, call.snapshot.config, config.upstream.model)));
      return {
        client: deps.upstreams.openai,
        request: { target: config.upstream, operation, body: outBody, intent: call.resolution.intent },
        answer: (response) => chatPassThrough(response, call, stream, includeUsage),
      };
    };
    return calls.serve(call, planFor);
  };
}

/** `GET /v1/models`: every route, and every configuration as `config:<id>`. */
export function modelsHandler(deps: GatewayDeps) {
  return (c: Context<GatewayEnv>): Response => {
    const { config } = deps.config.current();
    const model = (id: string, description: string) => ({ id, object: 'model', created: 0, owned_by: 'gateway', description });
    const data = [
      ...config.routes.map((r) => model(r.name, `route: ${r.intents.length} intents, default ${r.default}`)),
      ...config.configs.map((cfg) => model(`config:${cfg.id}`, cfg.description ?? `${cfg.upstream.provider} configuration`)),
    ];
    return c.json({ object: 'list', data });
  };
}
