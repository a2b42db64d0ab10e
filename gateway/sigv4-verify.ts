import type { ErrorCode } from './errors.ts';
import { canonicalPath, canonicalValue, formatAmzDate, hex, uriEncode, type SigningCrypto } from './upstreams/bedrock/sigv4.ts';

/**
 * Verification of AWS Signature Version 4 on incoming requests (clients signing with gateway-issued key pairs, as
 * boto3 and the AWS SDKs do by default). Pure and runtime-neutral: the hash primitives come in as `SigningCrypto`.
 * Only the `Authorization` header form is accepted; presigned query strings are refused.
 */

/** The service every signature must be scoped to. */
export const SIGV4_SERVICE = 'bedrock';
/** Largest accepted difference between `X-Amz-Date` and the gateway's clock, as AWS allows. */
export const MAX_SKEW_MS = 15 * 60_000;

/** A parsed and pre-checked `Authorization: AWS4-HMAC-SHA256 ...` header, not yet verified. */
export interface SigV4Claim {
  accessKeyId: string;
  /** `X-Amz-Date` as sent, e.g. `20261130T011500Z`. */
  amzDate: string;
  /** `<day>/<region>/bedrock/aws4_request`. */
  scope: string;
  day: string;
  region: string;
  /** Lower-case names, in the order signed. */
  signedHeaders: string[];
  signature: string;
}

/** A refusal: the gateway error code and AWS's message for it. */
export interface SigV4Refusal {
  code: Extract<ErrorCode, 'invalid_signature' | 'incomplete_signature' | 'unrecognized_client'>;
  message: string;
}

export type SigV4Result<T> = { ok: true; value: T } | ({ ok: false } & SigV4Refusal);

/** AWS's words for a signature that does not match. */
export const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
/** AWS's words for an access key id it does not know. */
export const UNKNOWN_ACCESS_KEY = 'The security token included in the request is invalid.';

const ALGORITHM = 'AWS4-HMAC-SHA256';
/** A lower-case HTTP header name (RFC 9110 token), as SigV4 lists signed headers. */
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** Whether an Authorization header claims SigV4. */
export function isSigV4(authorization: string): boolean {
  return authorization.startsWith(`${ALGORITHM} `);
}

/** Whether a URL carries a presigned (query-string) SigV4 signature. */
export function isPresigned(url: URL): boolean {
  return url.searchParams.has('X-Amz-Signature') || url.searchParams.has('X-Amz-Credential');
}

/**
 * Parses the header and checks what needs no secret: its parts, the credential scope (service `bedrock`, any region,
 * the day of `X-Amz-Date`, `aws4_request`), `host` among the signed headers, and the date within 15 minutes of `nowMs`.
 */
export function parseSigV4(authorization: string, headers: Headers, nowMs: number): SigV4Result<SigV4Claim> {
  const params = new Map<string, string>();
  for (const part of authorization.slice(ALGORITHM.length).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) params.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const missing = ['Credential', 'SignedHeaders', 'Signature'].filter((name) => !params.get(name));
  if (missing.length > 0) return incomplete(missing.map((name) => `Authorization header requires '${name}' parameter.`).join(' '));
  const credential = params.get('Credential')!.split('/');
  if (credential.length !== 5 || credential.some((p) => p === ''))
    return incomplete(`Credential should be of the form <access key id>/<date>/<region>/${SIGV4_SERVICE}/aws4_request.`);
  const [accessKeyId, day, region, service, terminator] = credential as [string, string, string, string, string];
  const signature = params.get('Signature')!;
  if (!/^[0-9a-f]{64}$/.test(signature)) return invalid(SIGNATURE_MISMATCH);
  const amzDate = headers.get('x-amz-date');
  if (!amzDate) return incomplete("Authorization header requires existence of an 'X-Amz-Date' header.");
  const when = dateOf(amzDate);
  if (when === null) return incomplete(`X-Amz-Date must be in the ISO8601 basic format yyyyMMdd'T'HHmmss'Z', got '${amzDate}'.`);
  if (service !== SIGV4_SERVICE) return invalid(`Credential should be scoped to correct service: '${SIGV4_SERVICE}'.`);
  if (terminator !== 'aws4_request')
    return invalid(`Credential should be scoped with a valid terminator: 'aws4_request', not '${terminator}'.`);
  if (day !== amzDate.slice(0, 8))
    return invalid(
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${day}' != '${amzDate.slice(0, 8)}'.`,
    );
  const signedHeaders = params.get('SignedHeaders')!.split(';');
  const badName = signedHeaders.find((name) => name !== ':authority' && !HEADER_NAME.test(name));
  if (badName !== undefined)
    return invalid(`SignedHeaders must list lower-case header names separated by ';', got '${badName.slice(0, 64)}'.`);
  if (!signedHeaders.includes('host') && !signedHeaders.includes(':authority'))
    return invalid("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  const skew = skewMessage(amzDate, when, nowMs);
  if (skew) return invalid(skew);
  return {
    ok: true,
    value: { accessKeyId, amzDate, scope: `${day}/${region}/${service}/aws4_request`, day, region, signedHeaders, signature },
  };
}

/** The parts of a request a signature covers; `url` keeps the path as sent (percent-encoded once). */
export interface SignedParts {
  method: string;
  url: URL;
  headers: Headers;
  body: Uint8Array;
}

/**
 * Builds the check of a claim against its secret: the payload hash (`x-amz-content-sha256`, when sent, must be the
 * body's SHA-256, so `UNSIGNED-PAYLOAD` and chunk-signed streaming payloads are refused; the canonical request always
 * uses the body's own), then the signature recomputed over the signed
 * headers, the path encoded again as for every non-S3 service, and the canonical query string. Signing keys are
 * derived once per (secret, day, region) and kept.
 */
export function createSigV4Verifier(crypto: SigningCrypto) {
  const keys = new Map<string, Uint8Array>();

  async function signingKey(secret: string, day: string, region: string): Promise<Uint8Array> {
    const cacheKey = `${secret}|${day}|${region}`;
    const cached = keys.get(cacheKey);
    if (cached) return cached;
    const kDate = await crypto.hmac(`AWS4${secret}`, day);
    const kRegion = await crypto.hmac(kDate, region);
    const kService = await crypto.hmac(kRegion, SIGV4_SERVICE);
    const key = await crypto.hmac(kService, 'aws4_request');
    if (keys.size > 256) keys.clear();
    keys.set(cacheKey, key);
    return key;
  }

  return async function verify(claim: SigV4Claim, request: SignedParts, secret: string): Promise<SigV4Result<true>> {
    const declared = request.headers.get('x-amz-content-sha256');
    if (declared !== null && !/^[0-9a-fA-F]{64}$/.test(declared))
      return invalid(
        `x-amz-content-sha256 '${declared.slice(0, 64)}' is not accepted: the gateway verifies the payload, so sign it (its hex SHA-256), not UNSIGNED-PAYLOAD or a streaming (chunk-signed) payload.`,
      );
    const payloadHash = await crypto.sha256Hex(request.body);
    if (declared !== null && declared !== payloadHash)
      return invalid("The provided 'x-amz-content-sha256' header does not match what was computed.");
    let canonicalHeaders = '';
    for (const name of claim.signedHeaders) {
      const value = headerValue(request, name);
      if (value === null) return invalid(SIGNATURE_MISMATCH);
      canonicalHeaders += `${name}:${canonicalValue(value)}\n`;
    }
    const canonical = [
      request.method.toUpperCase(),
      canonicalPath(request.url.pathname),
      canonicalQuery(request.url.search),
      canonicalHeaders,
      claim.signedHeaders.join(';'),
      payloadHash,
    ].join('\n');
    const toSign = `${ALGORITHM}\n${claim.amzDate}\n${claim.scope}\n${await crypto.sha256Hex(canonical)}`;
    const expected = hex(await crypto.hmac(await signingKey(secret, claim.day, claim.region), toSign));
    return sameText(expected, claim.signature) ? { ok: true, value: true } : invalid(SIGNATURE_MISMATCH);
  };
}

function headerValue(request: SignedParts, name: string): string | null {
  if (name === 'host' || name === ':authority') return request.headers.get('host') ?? request.url.host;
  return request.headers.get(name);
}

/** Query parameters decoded, encoded the SigV4 way, sorted by name then value. */
function canonicalQuery(search: string): string {
  if (search.length <= 1) return '';
  const pairs: [string, string][] = [];
  for (const part of search.slice(1).split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const [name, value] = eq < 0 ? [part, ''] : [part.slice(0, eq), part.slice(eq + 1)];
    pairs.push([uriEncode(decodeLenient(name)), uriEncode(decodeLenient(value))]);
  }
  pairs.sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0));
  return pairs.map(([name, value]) => `${name}=${value}`).join('&');
}

function decodeLenient(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function dateOf(amzDate: string): number | null {
  const m = AMZ_DATE.exec(amzDate);
  if (!m) return null;
  const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  return Number.isNaN(ms) ? null : ms;
}

/** AWS's wording when the request time is more than 15 minutes off the gateway's clock; null when it is not. */
function skewMessage(amzDate: string, when: number, nowMs: number): string | null {
  const now = formatAmzDate(new Date(nowMs));
  if (when < nowMs - MAX_SKEW_MS)
    return `Signature expired: ${amzDate} is now earlier than ${formatAmzDate(new Date(nowMs - MAX_SKEW_MS))} (${now} - 15 min.)`;
  if (when > nowMs + MAX_SKEW_MS)
    return `Signature not yet current: ${amzDate} is still later than ${formatAmzDate(new Date(nowMs + MAX_SKEW_MS))} (${now} + 15 min.)`;
  return null;
}

/** Constant-time comparison of two strings of equal length (hex signatures). */
function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

function invalid(message: string): { ok: false } & SigV4Refusal {
  return { ok: false, code: 'invalid_signature', message };
}

function incomplete(message: string): { ok: false } & SigV4Refusal {
  return { ok: false, code: 'incomplete_signature', message };
}
