import type { Context } from 'hono';
import type { GatewayEnv } from './deps.ts';

/**
 * The `x-gateway-*` headers of a response, computed when the response is built: request id, and for
 * routed calls the configuration, the arm and the gateway overhead so far.
 */
export function gatewayHeaders(c: Context<GatewayEnv>, now: () => number): Record<string, string> {
  const headers: Record<string, string> = { 'x-gateway-request-id': c.var.requestId };
  const routed = c.var.routed;
  if (routed) {
    headers['x-gateway-config'] = routed.config;
    headers['x-gateway-arm'] = routed.arm;
  }
  const overhead = c.var.meter ? c.var.meter.responseReady() : now() - c.var.t0;
  headers['x-gateway-overhead-ms'] = overhead.toFixed(3);
  return headers;
}
