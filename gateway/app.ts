import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { bearerAuth } from './auth.ts';
import type { GatewayDeps, GatewayEnv } from './deps.ts';
import { awsErrorResponse, ERRORS, GatewayError } from './errors.ts';
import { bedrockHandler } from './protocols/bedrock/handler.ts';

/** Builds the data-plane app: runtime-neutral, everything it uses comes in through `deps`. */
export function createGatewayApp(deps: GatewayDeps): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();

  app.use(async (c, next) => {
    c.set('requestId', crypto.randomUUID());
    c.set('time', Date.now());
    c.set('t0', deps.now());
    await next();
    const headers = c.res.headers;
    headers.set('x-gateway-request-id', c.var.requestId);
    const routed = c.var.routed;
    if (routed) {
      headers.set('x-gateway-config', routed.config);
      headers.set('x-gateway-arm', routed.arm);
    }
    const overhead = c.var.meter ? c.var.meter.responseReady() : deps.now() - c.var.t0;
    headers.set('x-gateway-overhead-ms', overhead.toFixed(3));
  });

  app.get('/healthz', (c) => c.json({ status: 'ok' }));

  const limit = bodyLimit({
    maxSize: deps.maxBodyBytes,
    onError: () => {
      throw new GatewayError('payload_too_large', `request body exceeds the ${deps.maxBodyBytes}-byte limit`);
    },
  });
  app.post('/model/:modelId/:operation', bearerAuth(deps.auth), limit, bedrockHandler(deps));

  app.notFound((c) => {
    const e = ERRORS.unknown_operation;
    return awsErrorResponse(e.status, e.awsType, `no operation at ${c.req.method} ${new URL(c.req.url).pathname}`, c.var.requestId);
  });

  app.onError((err, c) => {
    if (err instanceof GatewayError) return awsErrorResponse(err.status, ERRORS[err.code].awsType, err.message, c.var.requestId);
    if (err instanceof HTTPException) return awsErrorResponse(err.status, 'ValidationException', err.message, c.var.requestId);
    console.error(`request ${c.var.requestId} failed:`, err);
    c.var.meter?.finish(500, 'internal');
    return awsErrorResponse(500, 'InternalServerException', 'internal gateway error', c.var.requestId);
  });

  return app;
}
