import type { MiddlewareHandler } from 'hono';
import { GatewayError } from './errors.ts';

/** Decides whether a data-plane key is valid. Keys are kept only as SHA-256 hashes. */
export interface ApiKeyCheck {
  /** False when no key exists: then auth is off. */
  enabled(): boolean;
  isValid(key: string): Promise<boolean>;
}

/** Hex SHA-256 of a key, the form in which keys are stored and compared. */
export async function hashKey(key: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key));
  return Buffer.from(digest).toString('hex');
}

/** A fixed key list, e.g. from `GATEWAY_API_KEYS`. */
export async function staticApiKeys(keys: string[]): Promise<ApiKeyCheck> {
  const hashes = new Set(await Promise.all(keys.filter(Boolean).map(hashKey)));
  return { enabled: () => hashes.size > 0, isValid: async (key) => hashes.has(await hashKey(key)) };
}

/** Requires `Authorization: Bearer <key>` whenever keys exist. */
export function bearerAuth(check: ApiKeyCheck): MiddlewareHandler {
  return async (_c, next) => {
    if (!check.enabled()) return next();
    const header = _c.req.header('authorization');
    if (!header) throw new GatewayError('unauthenticated', 'missing API key: send Authorization: Bearer <key>');
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) throw new GatewayError('unauthenticated', 'unsupported Authorization scheme: send Authorization: Bearer <key>');
    if (!(await check.isValid(match[1]))) throw new GatewayError('unauthenticated', 'unknown API key');
    return next();
  };
}
