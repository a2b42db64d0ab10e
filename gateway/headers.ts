import type { Context } from 'hono';
import type { GatewayEnv } from './deps.ts';

/**
 * The `x-gateway-*` headers of a response, computed when the response is built: request id, and for
 * routed calls the configuration and arm they were assigned, and the gateway overhead so far. When a fallback
 * answered, `x-gateway-served-config` names it and `x-gateway-attempts` counts the upstream attempts
 * (`x-gateway-config` stays the assigned configuration, as the experiment or canary arm does).
 */
export function gatewayHeaders(c: Context<GatewayEnv>, now: () => number): Record<string, string> {
  const headers: Record<string, string> = { 'x-gateway-request-id': c.get('requestId') };
  const routed = c.get('routed');
  if (routed) {
    headers['x-gateway-config'] = routed.config;
    headers['x-gateway-arm'] = routed.arm;
  }
  const meter = c.get('meter');
  const served = meter?.servedConfigId;
  if (meter && served) {
    headers['x-gateway-served-config'] = served;
    headers['x-gateway-attempts'] = String(meter.attempts);
  }
  const overhead = meter ? meter.responseReady() : now() - c.get('t0');
  headers['x-gateway-overhead-ms'] = overhead.toFixed(3);
  return headers;
}
