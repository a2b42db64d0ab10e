import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { createSigV4Verifier, MAX_SKEW_MS, parseSigV4, SIGNATURE_MISMATCH, type SignedParts } from './sigv4-verify.ts';
import { nodeSigningCrypto } from './upstreams/bedrock/node-crypto.ts';
import { webSigningCrypto } from './upstreams/bedrock/sigv4.ts';

const credentials = { accessKeyId: 'GWKAABCDEFGHIJKLMNOP', secretAccessKey: 'k4X0p2Yk2m3v9sFqZk1m0a2b3c4d5e6f7g8h9i0j' };
const HOST = '127.0.0.1:8080';
const MODEL = 'anthropic.claude-3-5-haiku-20241022-v1:0';
// The AWS SDK puts the model id in the path encoded once (`:` as `%3A`); the signer encodes the path again.
const PATH = `/model/${encodeURIComponent(MODEL)}/converse`;
const body = new TextEncoder().encode(JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'hi  there' }] }] }));

interface SignOptions {
  date?: Date;
  region?: string;
  service?: string;
  secret?: string;
  path?: string;
  query?: Record<string, string>;
  extraHeaders?: Record<string, string>;
}

/** Signs a request with the AWS SDK's own signer and returns it as the gateway would see it. */
async function signed(options: SignOptions = {}): Promise<SignedParts> {
  const path = options.path ?? PATH;
  const headers = { host: HOST, 'content-type': 'application/json', 'x-intent': '  order   tracking ', ...options.extraHeaders };
  const request = await new SignatureV4({
    service: options.service ?? 'bedrock',
    region: options.region ?? 'eu-west-1',
    credentials: { ...credentials, secretAccessKey: options.secret ?? credentials.secretAccessKey },
    sha256: Sha256,
    applyChecksum: false,
  }).sign(
    { method: 'POST', protocol: 'http:', hostname: '127.0.0.1', port: 8080, path, headers, body, query: options.query ?? {} },
    { signingDate: options.date ?? new Date() },
  );
  const search = Object.entries(options.query ?? {})
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
  return {
    method: 'POST',
    url: new URL(`http://${HOST}${path}${search ? `?${search}` : ''}`),
    headers: new Headers(request.headers as Record<string, string>),
    body,
  };
}

async function check(request: SignedParts, secret = credentials.secretAccessKey, crypto = nodeSigningCrypto) {
  const claim = parseSigV4(request.headers.get('authorization')!, request.headers, Date.now());
  if (!claim.ok) return claim;
  return createSigV4Verifier(crypto)(claim.value, request, secret);
}

describe('SigV4 verification against @smithy/signature-v4', () => {
  for (const [name, crypto] of [
    ['node', nodeSigningCrypto],
    ['web', webSigningCrypto],
  ] as const) {
    it(`accepts a request the AWS SDK signed, model id with ':' in the path (${name} crypto)`, async () => {
      expect(await check(await signed(), credentials.secretAccessKey, crypto)).toEqual({ ok: true, value: true });
    });
  }

  it('accepts any region, a query string and an x-amz-content-sha256 that matches the body', async () => {
    const hash = await nodeSigningCrypto.sha256Hex(body);
    const request = await signed({
      region: 'ap-southeast-2',
      query: { b: 'x:y/z', a: '1' },
      extraHeaders: { 'x-amz-content-sha256': hash },
    });
    expect(await check(request)).toEqual({ ok: true, value: true });
  });

  it('refuses a signature made with another secret', async () => {
    expect(await check(await signed({ secret: 'not-the-secret' }))).toEqual({
      ok: false,
      code: 'invalid_signature',
      message: SIGNATURE_MISMATCH,
    });
  });

  it('refuses a tampered body, and a declared payload hash that is not the body', async () => {
    const request = await signed();
    expect(await check({ ...request, body: new TextEncoder().encode('{"messages":[]}') })).toMatchObject({
      ok: false,
      message: SIGNATURE_MISMATCH,
    });
    const declared = await signed({ extraHeaders: { 'x-amz-content-sha256': '0'.repeat(64) } });
    expect(await check(declared)).toMatchObject({
      ok: false,
      code: 'invalid_signature',
      message: expect.stringMatching(/x-amz-content-sha256/),
    });
  });

  it('refuses UNSIGNED-PAYLOAD and chunk-signed payloads with a message naming them, even when correctly signed', async () => {
    for (const value of ['UNSIGNED-PAYLOAD', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD']) {
      const request = await signed({ extraHeaders: { 'x-amz-content-sha256': value } });
      expect(await check(request)).toEqual({
        ok: false,
        code: 'invalid_signature',
        message: expect.stringContaining(`x-amz-content-sha256 '${value}' is not accepted`),
      });
    }
  });

  it('refuses a signed header changed or removed after signing', async () => {
    const request = await signed();
    const changed = new Headers(request.headers);
    changed.set('x-intent', 'returns');
    expect(await check({ ...request, headers: changed })).toMatchObject({ ok: false, code: 'invalid_signature' });
    const removed = new Headers(request.headers);
    removed.delete('x-intent');
    expect(await check({ ...request, headers: removed })).toMatchObject({ ok: false, code: 'invalid_signature' });
  });

  it('refuses a path or query changed after signing (the model id is signed)', async () => {
    const request = await signed({ query: { a: '1' } });
    const other = new URL(request.url);
    other.pathname = `/model/${encodeURIComponent('anthropic.claude-3-5-sonnet-20240620-v1:0')}/converse`;
    expect(await check({ ...request, url: other })).toMatchObject({ ok: false, code: 'invalid_signature' });
    const query = new URL(request.url);
    query.search = '?a=2';
    expect(await check({ ...request, url: query })).toMatchObject({ ok: false, code: 'invalid_signature' });
  });

  it('refuses a date more than 15 minutes off, either way, with AWS words', async () => {
    const past = await check(await signed({ date: new Date(Date.now() - MAX_SKEW_MS - 60_000) }));
    expect(past).toMatchObject({
      ok: false,
      code: 'invalid_signature',
      message: expect.stringMatching(/^Signature expired: \d{8}T\d{6}Z is now earlier than/),
    });
    const future = await check(await signed({ date: new Date(Date.now() + MAX_SKEW_MS + 60_000) }));
    expect(future).toMatchObject({ ok: false, code: 'invalid_signature', message: expect.stringMatching(/^Signature not yet current/) });
    expect(await check(await signed({ date: new Date(Date.now() - MAX_SKEW_MS + 60_000) }))).toEqual({ ok: true, value: true });
  });

  it('refuses a scope for another service', async () => {
    expect(await check(await signed({ service: 's3' }))).toMatchObject({
      ok: false,
      code: 'invalid_signature',
      message: "Credential should be scoped to correct service: 'bedrock'.",
    });
  });
});

describe('SigV4 verification keeps signing keys per day', () => {
  for (const [name, crypto] of [
    ['node', nodeSigningCrypto],
    ['web', webSigningCrypto],
  ] as const) {
    it(`one verifier accepts each day's signatures across midnight and back, and no other secret's (${name} crypto)`, async () => {
      const verify = createSigV4Verifier(crypto);
      const at = async (iso: string, secret = credentials.secretAccessKey) => {
        const date = new Date(iso);
        const request = await signed({ date, secret });
        const claim = parseSigV4(request.headers.get('authorization')!, request.headers, date.getTime());
        if (!claim.ok) throw new Error(claim.message);
        return verify(claim.value, request, credentials.secretAccessKey);
      };
      for (const iso of ['2026-11-27T23:59:59Z', '2026-11-28T00:00:01Z', '2026-11-27T12:00:00Z', '2026-11-28T09:00:00Z'])
        expect(await at(iso)).toEqual({ ok: true, value: true });
      expect(await at('2026-11-28T09:00:00Z', 'not-the-secret')).toMatchObject({ ok: false, message: SIGNATURE_MISMATCH });
    });
  }
});

describe('SigV4 header parsing', () => {
  const headers = new Headers({ 'x-amz-date': '20261130T010000Z' });
  const now = Date.UTC(2026, 10, 30, 1, 0, 0);
  const valid =
    'AWS4-HMAC-SHA256 Credential=GWKAABCDEFGHIJKLMNOP/20261130/us-east-1/bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature=';

  it('reads the credential, scope and signed headers', () => {
    expect(parseSigV4(`${valid}${'a'.repeat(64)}`, headers, now)).toEqual({
      ok: true,
      value: {
        accessKeyId: 'GWKAABCDEFGHIJKLMNOP',
        amzDate: '20261130T010000Z',
        scope: '20261130/us-east-1/bedrock/aws4_request',
        day: '20261130',
        region: 'us-east-1',
        signedHeaders: ['host', 'x-amz-date'],
        signature: 'a'.repeat(64),
      },
    });
  });

  it('names what is missing or malformed', () => {
    expect(parseSigV4('AWS4-HMAC-SHA256 Credential=X/20261130/us-east-1/bedrock/aws4_request', headers, now)).toMatchObject({
      ok: false,
      code: 'incomplete_signature',
      message: "Authorization header requires 'SignedHeaders' parameter. Authorization header requires 'Signature' parameter.",
    });
    expect(parseSigV4(`${valid}${'a'.repeat(64)}`, new Headers(), now)).toMatchObject({
      code: 'incomplete_signature',
      message: /X-Amz-Date/,
    });
    expect(parseSigV4(valid.replace('/20261130/', '/20261129/') + 'a'.repeat(64), headers, now)).toMatchObject({
      code: 'invalid_signature',
      message: /Date in Credential scope does not match/,
    });
    expect(parseSigV4(valid.replace('host;', '') + 'a'.repeat(64), headers, now)).toMatchObject({
      code: 'invalid_signature',
      message: /Host/,
    });
    expect(parseSigV4(valid.replace('aws4_request', 'aws5_request') + 'a'.repeat(64), headers, now)).toMatchObject({
      message: /terminator/,
    });
    for (const names of ['host;x amz', 'host;X-Amz-Date', 'host;;x-amz-date'])
      expect(parseSigV4(valid.replace('host;x-amz-date', names) + 'a'.repeat(64), headers, now)).toMatchObject({
        code: 'invalid_signature',
        message: /SignedHeaders must list lower-case header names/,
      });
  });
});
