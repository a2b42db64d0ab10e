import type { MiddlewareHandler } from 'hono';
import type { GatewayEnv } from './deps.ts';
import { GatewayError } from './errors.ts';
import { createSigV4Verifier, isPresigned, isSigV4, parseSigV4, UNKNOWN_ACCESS_KEY } from './sigv4-verify.ts';
import { webSigningCrypto, type SigningCrypto } from './upstreams/bedrock/sigv4.ts';

/** Decides whether a data-plane credential is valid. Bearer keys are kept only as SHA-256 hashes. */
export interface ApiKeyCheck {
  /** False when no key exists: then auth is off. */
  enabled(): boolean;
  isValid(key: string): Promise<boolean>;
  /** The secret of a live SigV4 key pair; undefined for an unknown or revoked access key id. */
  sigv4Secret?(accessKeyId: string): Promise<string | undefined>;
}

/**
 * Hex SHA-256 of a key (UTF-8), the form in which keys are stored and compared. `hashKey` is Web Crypto's, for any
 * runtime; on Node `nodeKeyHash` (key-hash-node.ts) gives the same hex synchronously, without Web Crypto's round
 * trip through the thread pool on every request.
 */
export type KeyHash = (key: string) => string | Promise<string>;

/** `KeyHash` over Web Crypto. */
export async function hashKey(key: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key));
  return Buffer.from(digest).toString('hex');
}

/** A fixed key list, e.g. from `GATEWAY_API_KEYS`. */
export async function staticApiKeys(keys: string[], hash: KeyHash = hashKey): Promise<ApiKeyCheck> {
  const hashes = new Set(await Promise.all(keys.filter(Boolean).map(hash)));
  return { enabled: () => hashes.size > 0, isValid: async (key) => hashes.has(await hash(key)) };
}

const SCHEMES = 'send Authorization: Bearer <key>, or sign the request with SigV4 using a gateway key pair';

/**
 * Requires a credential whenever keys exist: `Authorization: Bearer <key>`, or a SigV4 `Authorization` header whose
 * access key id is known and whose date and scope are valid. The signature itself is checked by `verifySignature`,
 * which must run after the body size limit, since it reads the body.
 */
export function clientAuth(check: ApiKeyCheck, clock: () => number = Date.now): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    if (!check.enabled()) return next();
    const header = c.req.header('authorization');
    if (!header) {
      if (isPresigned(new URL(c.req.url)))
        throw new GatewayError(
          'invalid_signature',
          'presigned URLs (a SigV4 signature in the query string) are not accepted; sign the Authorization header',
        );
      throw new GatewayError('unauthenticated', `missing API key: ${SCHEMES}`);
    }
    if (isSigV4(header)) {
      const parsed = parseSigV4(header, c.req.raw.headers, clock());
      if (!parsed.ok) throw new GatewayError(parsed.code, parsed.message);
      const secret = await check.sigv4Secret?.(parsed.value.accessKeyId);
      if (secret === undefined) throw new GatewayError('unrecognized_client', UNKNOWN_ACCESS_KEY);
      c.set('sigv4', { claim: parsed.value, secret });
      return next();
    }
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) throw new GatewayError('unauthenticated', `unsupported Authorization scheme: ${SCHEMES}`);
    if (!(await check.isValid(match[1]))) throw new GatewayError('unauthenticated', 'unknown API key');
    return next();
  };
}

/**
 * Checks the SigV4 signature `clientAuth` let through, over the body as received (read once here; handlers get it
 * from Hono's body cache). Requests without a SigV4 claim pass untouched.
 */
export function verifySignature(crypto: SigningCrypto = webSigningCrypto): MiddlewareHandler<GatewayEnv> {
  const verify = createSigV4Verifier(crypto);
  return async (c, next) => {
    const pending = c.get('sigv4');
    if (!pending) return next();
    const body = new Uint8Array(await c.req.arrayBuffer());
    const result = await verify(
      pending.claim,
      { method: c.req.method, url: new URL(c.req.url), headers: c.req.raw.headers, body },
      pending.secret,
    );
    if (!result.ok) throw new GatewayError(result.code, result.message);
    return next();
  };
}
