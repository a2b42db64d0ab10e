import type { Context } from 'hono';
import { applyConfigToChat } from '../../canonical.ts';
import type { GatewayDeps, GatewayEnv, RoutedDeps } from '../../deps.ts';
import { GatewayError } from '../../errors.ts';
import { PASSTHROUGH_ROUTE } from '../../routing/resolve.ts';
import { routedCalls, sendUpstream } from '../../routed.ts';
import { translationPlan } from '../../translate.ts';
import type { PlanFor } from '../../fallback/run.ts';
import { upstreamCodecs } from '../codecs.ts';
import { chatClientCodec } from './chat-codec.ts';
import { chatToCanonical } from './chat-request.ts';
import { chatPassThrough } from './pass-through.ts';
import { applyConfigToChatBody, chatRoutingInputs, parseChatBody } from './request.ts';
import { utf8 } from '../../../lib/utf8.ts';

/** Optional prefix of a Bedrock model id named by an OpenAI client (`bedrock/anthropic.claude-...`). */
export const BEDROCK_PREFIX = 'bedrock/';

/**
 * `POST /v1/chat/completions`: `model` names a route (or `config:<id>`); calls routed to an OpenAI-compatible
 * configuration pass through, calls routed to another provider are translated. A configuration that throttles or
 * fails before answering hands the call to its fallbacks. Any other `model` is a Bedrock model id (an optional
 * `bedrock/` prefix is dropped), called as a translated Converse call (no fallbacks) and metered under the
 * `_passthrough` route, as the Bedrock routes do with ids they do not know. Usage is recorded either way.
 */
export function chatCompletionsHandler(deps: RoutedDeps) {
  const calls = routedCalls(deps);
  return async (c: Context<GatewayEnv>): Promise<Response> => {
    const text = await c.req.text();
    const body = parseChatBody(text);
    const stream = body.stream === true;
    const operation = stream ? 'chat-completions-stream' : 'chat-completions';
    const snapshot = deps.config.current();
    const routed = body.model.startsWith('config:') || snapshot.index.routes.has(body.model);
    const modelId = routed || !body.model.startsWith(BEDROCK_PREFIX) ? body.model : body.model.slice(BEDROCK_PREFIX.length);
    if (!modelId) throw new GatewayError('invalid_request', `model "${body.model}" names no Bedrock model id after "${BEDROCK_PREFIX}"`);
    const call = calls.begin(c, { operation, modelId, ...chatRoutingInputs(body, c.req.raw.headers), body: text }, snapshot);
    const includeUsage = body.stream_options?.include_usage === true;
    if (!call.config) {
      const plan = translationPlan(call, {
        request: chatToCanonical(body),
        target: { provider: 'bedrock', modelId },
        stream,
        upstream: deps.upstreams.bedrock,
        upstreamCodec: upstreamCodecs.bedrock,
        clientCodec: chatClientCodec(body.model, `chatcmpl-${c.get('requestId')}`, includeUsage),
      });
      return plan.answer(await sendUpstream(call, plan.client, plan.request));
    }
    // An inline function, not one assigned to a name: nothing is named at run time per request.
    return calls.serve(call, (config): ReturnType<PlanFor> => {
      if (config.upstream.provider !== 'openai') {
        return translationPlan(call, {
          request: applyConfigToChat(chatToCanonical(body), config, call.snapshot.config),
          target: config.upstream,
          stream,
          upstream: deps.upstreams[config.upstream.provider],
          upstreamCodec: upstreamCodecs[config.upstream.provider],
          // Only a translated call renders its answer: a pass-through hands the upstream's own bytes on.
          clientCodec: chatClientCodec(body.model, `chatcmpl-${c.get('requestId')}`, includeUsage),
        });
      }
      const outBody = utf8(JSON.stringify(applyConfigToChatBody(body, config, call.snapshot.config, config.upstream.model)));
      return {
        client: deps.upstreams.openai,
        request: { target: config.upstream, operation, body: outBody, intent: call.resolution.intent },
        answer(response) {
          return chatPassThrough(response, call, stream, includeUsage);
        },
      };
    });
  };
}

/** `GET /v1/models`: every route, every configuration as `config:<id>`, and an entry that explains Bedrock model ids. */
export function modelsHandler(deps: GatewayDeps) {
  return (c: Context<GatewayEnv>): Response => {
    const { config } = deps.config.current();
    const model = (id: string, description: string) => ({ id, object: 'model', created: 0, owned_by: 'gateway', description });
    const data = [
      ...config.routes.map((r) => model(r.name, `route: ${r.intents.length} intents, default ${r.default}`)),
      ...config.configs.map((cfg) => model(`config:${cfg.id}`, cfg.description ?? `${cfg.upstream.provider} configuration`)),
      model(
        `${BEDROCK_PREFIX}{modelId}`,
        `pass-through: any other model (e.g. anthropic.claude-3-5-haiku-20241022-v1:0, optionally prefixed ${BEDROCK_PREFIX}) is sent to Bedrock as a translated Converse call, metered under the ${PASSTHROUGH_ROUTE} route`,
      ),
    ];
    return c.json({ object: 'list', data });
  };
}
