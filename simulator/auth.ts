import { timingSafeEqual } from 'node:crypto';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { ERROR_MESSAGES, type ErrorType } from './errors.ts';

/** How a call was authenticated. */
export type SignatureStatus = 'verified' | 'unchecked' | 'bearer';

/** What the simulator checks callers against. Neither set: no check at all. */
export interface AuthOptions {
  credentials?: { accessKeyId: string; secretAccessKey: string } | undefined;
  /** A Bedrock API key, sent as `Authorization: Bearer <key>`. */
  apiKey?: string | undefined;
}

/** The parts of a request a signature covers. */
export interface SignedRequest {
  method: string;
  url: URL;
  headers: Headers;
  body: Uint8Array;
}

/** The outcome of a check. */
export type AuthResult = { ok: true; signature: SignatureStatus } | { ok: false; type: ErrorType; message: string };

/** Checks callers: SigV4 signatures are recomputed, bearer tokens compared. */
export type Authenticator = (request: SignedRequest) => Promise<AuthResult>;

const SIGV4 =
  /^AWS4-HMAC-SHA256\s+Credential=([^/\s]+)\/(\d{8})\/([^/\s]+)\/([^/\s]+)\/aws4_request,\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const UNCHECKED: AuthResult = { ok: true, signature: 'unchecked' };
const BEARER: AuthResult = { ok: true, signature: 'bearer' };
const VERIFIED: AuthResult = { ok: true, signature: 'verified' };

/** Builds the check for a simulator's auth options. */
export function createAuthenticator(options: AuthOptions): Authenticator {
  const { credentials, apiKey } = options;
  if (!credentials && !apiKey) return async () => UNCHECKED;
  const signers = new Map<string, SignatureV4>();
  function signerFor(region: string): SignatureV4 {
    let signer = signers.get(region);
    if (!signer) {
      signer = new SignatureV4({
        credentials: credentials!,
        region,
        service: 'bedrock',
        sha256: Sha256,
        uriEscapePath: true,
        applyChecksum: false,
      });
      signers.set(region, signer);
    }
    return signer;
  }
  return async function authenticate(request) {
    const authorization = request.headers.get('authorization');
    if (!authorization) return fail('MissingAuthenticationTokenException');
    if (/^bearer\s/i.test(authorization)) {
      const token = authorization.slice(7).trim();
      return apiKey !== undefined && sameText(token, apiKey) ? BEARER : fail('UnrecognizedClientException');
    }
    if (!credentials)
      return fail('InvalidSignatureException', 'This endpoint takes an API key (Authorization: Bearer), not a SigV4 signature.');
    return verifySigV4(request, authorization, credentials.accessKeyId, signerFor);
  };
}

async function verifySigV4(
  request: SignedRequest,
  authorization: string,
  keyId: string,
  signerFor: (region: string) => SignatureV4,
): Promise<AuthResult> {
  const match = SIGV4.exec(authorization);
  if (!match) return fail('InvalidSignatureException', 'Authorization header requires Credential, SignedHeaders and Signature parameters.');
  const [, accessKeyId, , region, service, signedList, signature] = match as unknown as string[];
  if (accessKeyId !== keyId) return fail('InvalidSignatureException', ERROR_MESSAGES.UnrecognizedClientException);
  if (service !== 'bedrock') return fail('InvalidSignatureException', "Credential should be scoped to correct service: 'bedrock'.");
  const amzDate = request.headers.get('x-amz-date') ?? '';
  const date = AMZ_DATE.exec(amzDate);
  if (!date) return fail('InvalidSignatureException', 'Authorization header requires existence of either a X-Amz-Date or a Date header.');
  const signingDate = new Date(Date.UTC(+date[1]!, +date[2]! - 1, +date[3]!, +date[4]!, +date[5]!, +date[6]!));
  const claimedHash = request.headers.get('x-amz-content-sha256');
  if (claimedHash !== null && claimedHash !== 'UNSIGNED-PAYLOAD' && claimedHash !== (await sha256Hex(request.body))) {
    return fail('InvalidSignatureException', "The provided 'x-amz-content-sha256' header does not match what was computed.");
  }
  const headers: Record<string, string> = {};
  const names = signedList!.split(';');
  for (const name of names) {
    const value =
      name === ':authority'
        ? request.url.host
        : name === 'host'
          ? (request.headers.get('host') ?? request.url.host)
          : request.headers.get(name);
    if (value === null) return fail('InvalidSignatureException');
    headers[name] = value;
  }
  const signed = await signerFor(region!).sign(
    {
      method: request.method,
      protocol: request.url.protocol,
      hostname: request.url.hostname,
      path: request.url.pathname,
      query: queryOf(request.url),
      headers,
      body: request.body,
    },
    { signingDate, signingRegion: region!, signingService: 'bedrock', signableHeaders: new Set(names) },
  );
  const expected = /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization))?.[1] ?? '';
  return sameText(expected, signature!) ? VERIFIED : fail('InvalidSignatureException');
}

async function sha256Hex(body: Uint8Array): Promise<string> {
  const hash = new Sha256();
  hash.update(body);
  return Buffer.from(await hash.digest()).toString('hex');
}

function queryOf(url: URL): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of url.searchParams) {
    const prior = query[key];
    query[key] = prior === undefined ? value : Array.isArray(prior) ? [...prior, value] : [prior, value];
  }
  return query;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function fail(type: ErrorType, message: string = ERROR_MESSAGES[type]): AuthResult {
  return { ok: false, type, message };
}

/** The outcome of a bearer-key check: how the call was let in, or why it was not. */
export type BearerResult = { ok: true; signature: SignatureStatus } | { ok: false; reason: 'missing' | 'invalid' };

/** Checks `Authorization: Bearer <apiKey>` (OpenAI-style routes; SigV4 does not apply there). No key: no check. */
export function createBearerCheck(apiKey: string | undefined): (headers: Headers) => BearerResult {
  if (apiKey === undefined) return () => ({ ok: true, signature: 'unchecked' });
  return function checkBearer(headers) {
    const authorization = headers.get('authorization');
    if (!authorization || !/^bearer\s/i.test(authorization)) return { ok: false, reason: 'missing' };
    return sameText(authorization.slice(7).trim(), apiKey) ? { ok: true, signature: 'bearer' } : { ok: false, reason: 'invalid' };
  };
}
