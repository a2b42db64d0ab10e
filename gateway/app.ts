import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { clientAuth, verifySignature } from './auth.ts';
import type { GatewayDeps, GatewayEnv, RoutedDeps } from './deps.ts';
import { ERRORS, GatewayError, isBedrockPath, routeErrorResponse, type ErrorCode } from './errors.ts';
import { feedbackHandler } from './feedback.ts';
import { gatewayHeaders } from './headers.ts';
import { bedrockHandler } from './protocols/bedrock/handler.ts';
import { chatCompletionsHandler, modelsHandler } from './protocols/openai/handler.ts';
import { DEFAULT_SHADOW_MAX_BODY_BYTES, DEFAULT_SHADOW_MAX_CONCURRENCY, ShadowDispatcher } from './shadow/dispatcher.ts';
import { timeOrderedUuid } from '../lib/uuid.ts';
import { Cancellation } from '../lib/cancellation.ts';

/** Builds the data-plane app: runtime-neutral, everything it uses comes in through `deps`. */
export function createGatewayApp(gatewayDeps: GatewayDeps): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  const shadow = gatewayDeps.shadow;
  const shadowDispatcher = new ShadowDispatcher({
    maxConcurrency: shadow?.maxConcurrency ?? DEFAULT_SHADOW_MAX_CONCURRENCY,
    maxBodyBytes: shadow?.maxBodyBytes ?? DEFAULT_SHADOW_MAX_BODY_BYTES,
    ...(shadow?.answers ? { answers: shadow.answers } : {}),
    fetch: async (request) => app.fetch(request),
    lifecycle: gatewayDeps.lifecycle,
    count: (outcome) => gatewayDeps.telemetry.shadow?.(outcome),
    ...(gatewayDeps.logger ? { logger: gatewayDeps.logger } : {}),
  });
  const deps: RoutedDeps = { ...gatewayDeps, shadowDispatcher };

  app.use(async (c, next) => {
    const time = Date.now();
    // Time-ordered (UUID v7): the stores' request-id indexes grow at their end instead of at random pages.
    c.set('requestId', timeOrderedUuid(time));
    c.set('time', time);
    c.set('t0', deps.now());
    // One cancellation per request, aborted by the client going away or by a shutdown cutting it.
    const cancellation = new Cancellation();
    if (!deps.clientGone?.(c, (reason) => cancellation.abort(reason))) {
      const clientSignal = c.req.raw.signal;
      clientSignal.addEventListener('abort', () => cancellation.abort(clientSignal.reason), { once: true });
    }
    const release = deps.lifecycle.track(cancellation);
    c.set('signal', cancellation);
    // Responses built by Hono (JSON routes) take prepared headers; Bedrock responses are built with theirs.
    if (!isBedrockPath(c.req.path)) c.header('x-gateway-request-id', c.get('requestId'));
    try {
      await next();
    } finally {
      const meter = c.get('meter');
      if (meter && !meter.finished) meter.onFinish = release;
      else release();
    }
  });

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', (c) => {
    if (deps.lifecycle.draining) return c.json({ status: 'shutting down' }, 503);
    return deps.sink.ready() ? c.json({ status: 'ready' }) : c.json({ status: 'observation store and spill file both unwritable' }, 503);
  });
  app.get('/metrics', async (c) => {
    const exposition = await deps.telemetry.exposition?.();
    if (!exposition) return c.text('metrics are not enabled in this runtime\n', 404);
    return c.body(exposition.body, 200, { 'content-type': exposition.contentType });
  });

  const refuseWhileDraining = async (_c: Context<GatewayEnv>, next: () => Promise<void>): Promise<void> => {
    if (deps.lifecycle.draining) throw new GatewayError('shutting_down', 'the gateway is shutting down; retry on another replica');
    await next();
  };
  const tooLarge = (): never => {
    throw new GatewayError('payload_too_large', `request body exceeds the ${deps.maxBodyBytes}-byte limit`);
  };
  const streamingLimit = bodyLimit({ maxSize: deps.maxBodyBytes, onError: tooLarge });
  // A declared length is checked without touching the body (which keeps the server's fast body path);
  // only bodies of unknown length are counted as they stream in.
  const limit = async (c: Context<GatewayEnv>, next: () => Promise<void>): Promise<void> => {
    const declared = c.req.header('content-length');
    if (declared === undefined) return streamingLimit(c, next) as Promise<void>;
    if (Number(declared) > deps.maxBodyBytes) tooLarge();
    await next();
  };
  const checkCredential = clientAuth(deps.auth);
  // A shadow request is the gateway's own copy of a live request that already passed auth (a SigV4 signature could
  // not be replayed on it); only the dispatcher can mark a request, so a client cannot skip auth this way.
  const auth: MiddlewareHandler<GatewayEnv> = async (c, next) => (shadowDispatcher.markOf(c.req.raw) ? next() : checkCredential(c, next));
  // The signature covers the body, so it is checked after the size limit; the credential itself before it.
  const signed = verifySignature(deps.signingCrypto);
  const guard = [refuseWhileDraining, auth, limit, signed] as const;
  app.post('/model/:modelId/:operation', ...guard, bedrockHandler(deps));
  app.post('/v1/feedback', ...guard, feedbackHandler(deps));
  app.post('/v1/chat/completions', ...guard, chatCompletionsHandler(deps));
  app.get('/v1/models', refuseWhileDraining, auth, signed, modelsHandler(deps));

  app.notFound((c) => errorResponse(c, deps.now, 'unknown_operation', `no operation at ${c.req.method} ${new URL(c.req.url).pathname}`));
  app.onError((err, c) => {
    if (err instanceof GatewayError) {
      // A refusal after routing (e.g. content that cannot be translated) still ends the request's observation.
      const meter = c.get('meter');
      if (meter) meter.finish(err.status, err.code);
      else
        deps.logger?.debug('request refused', {
          requestId: c.get('requestId'),
          path: new URL(c.req.url).pathname,
          status: err.status,
          errorCode: err.code,
        });
      return errorResponse(c, deps.now, err.code, err.message, err.status);
    }
    if (err instanceof HTTPException)
      return errorResponse(c, deps.now, err.status === 413 ? 'payload_too_large' : 'invalid_request', err.message);
    if (c.req.raw.signal.aborted) {
      // The request's body broke off (the client went, or the listener refused its framing and answered itself).
      c.get('meter')?.finish(ERRORS.client_abort.status, 'client_abort');
      return errorResponse(c, deps.now, 'client_abort', 'the request was aborted before its body arrived');
    }
    if (deps.logger)
      deps.logger.error('internal error', {
        requestId: c.get('requestId'),
        error: err instanceof Error ? (err.stack ?? err.message) : String(err),
      });
    else console.error(`request ${c.get('requestId')} failed:`, err);
    c.get('meter')?.finish(500, 'internal');
    return errorResponse(c, deps.now, 'internal', 'internal gateway error');
  });

  return app;
}

/** One error body per protocol: AWS's shape on Bedrock routes, `{error: {code, message}}` elsewhere. */
function errorResponse(c: Context<GatewayEnv>, now: () => number, code: ErrorCode, message: string, statusOverride?: number): Response {
  return routeErrorResponse(new URL(c.req.url).pathname, code, message, c.get('requestId'), gatewayHeaders(c, now), statusOverride);
}
