import type { AwsCredentialIdentity } from '@smithy/types';
import { withFields } from '../../../lib/fields.ts';

/** Hash primitives the signer needs, so each runtime plugs in its fastest (node:crypto, Web Crypto). */
export interface SigningCrypto {
  sha256Hex(data: Uint8Array | string): string | Promise<string>;
  hmac(key: Uint8Array | string, data: string): Uint8Array | Promise<Uint8Array>;
  /** The HMAC as lower-case hex, where the runtime encodes it natively (node:crypto). */
  hmacHex?(key: Uint8Array, data: string): string;
}

export interface SignInput {
  /** `host[:port]` as sent. */
  host: string;
  /** Path as sent on the wire (already percent-encoded once). */
  path: string;
  headers: Record<string, string>;
  body: Uint8Array;
  credentials: AwsCredentialIdentity;
  region: string;
  service: string;
  /** Signing time; defaults to now. */
  date?: Date;
}

const encoder = new TextEncoder();
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
/** Lower-case hex of bytes. */
export const hex = (bytes: Uint8Array): string => {
  let out = '';
  for (const byte of bytes) out += HEX[byte];
  return out;
};

/**
 * AWS Signature Version 4 for a POST without a query string, as Bedrock Runtime takes it: signs `host`,
 * `x-amz-date`, the given headers and `x-amz-security-token` when the credentials carry one. Returns the
 * headers to send: the given ones plus `x-amz-date`, the token and `authorization`, without `host` (the transport
 * sets it from the URL). Non-S3 services sign the path encoded twice.
 */
export function createSigner(crypto: SigningCrypto) {
  const keys = new Map<string, Uint8Array>();
  const paths = new Map<string, string>();
  let clock = { second: -1, amzDate: '' };

  /** Derives the day's signing key and keeps it under `cacheKey` (the caller looked there first). */
  async function deriveSigningKey(cacheKey: string, secret: string, day: string, region: string, service: string): Promise<Uint8Array> {
    const kDate = await crypto.hmac(`AWS4${secret}`, day);
    const kRegion = await crypto.hmac(kDate, region);
    const kService = await crypto.hmac(kRegion, service);
    const key = await crypto.hmac(kService, 'aws4_request');
    if (keys.size > 16) keys.clear();
    keys.set(cacheKey, key);
    return key;
  }

  function amzDateOf(date: Date | undefined): string {
    if (date) return formatAmzDate(date);
    const now = Date.now();
    const second = Math.floor(now / 1000);
    if (second !== clock.second) clock = { second, amzDate: formatAmzDate(new Date(now)) };
    return clock.amzDate;
  }

  function pathOf(path: string): string {
    let canonical = paths.get(path);
    if (canonical === undefined) {
      canonical = canonicalPath(path);
      if (paths.size > 1_000) paths.clear();
      paths.set(path, canonical);
    }
    return canonical;
  }

  /**
   * Per set of header names (callers reuse a few): the signed headers in order, each its lower-case name and the name
   * its value is read under (the last of names that differ only in case; null for `host`, which comes from the
   * input), and their `SignedHeaders` list.
   */
  const layouts = new Map<string, { headers: [string, string | null][]; signedHeaders: string }>();
  function layoutOf(headers: Record<string, string>): { headers: [string, string | null][]; signedHeaders: string } {
    let key = '';
    for (const name in headers) key += `${name}\n`;
    let layout = layouts.get(key);
    if (layout === undefined) {
      const byLower = new Map<string, string | null>();
      for (const name in headers) byLower.set(name.toLowerCase(), name);
      byLower.set('host', null);
      const signed = [...byLower].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      layout = { headers: signed, signedHeaders: signed.map(([name]) => name).join(';') };
      if (layouts.size > 100) layouts.clear();
      layouts.set(key, layout);
    }
    return layout;
  }

  return async function sign(input: SignInput): Promise<Record<string, string>> {
    const amzDate = amzDateOf(input.date);
    const day = amzDate.slice(0, 8);
    const headers: Record<string, string> = withFields(input.headers, { 'x-amz-date': amzDate });
    if (input.credentials.sessionToken) headers['x-amz-security-token'] = input.credentials.sessionToken;
    const layout = layoutOf(headers);
    const signedHeaders = layout.signedHeaders;
    let canonicalHeaders = '';
    for (const [name, readAs] of layout.headers) {
      canonicalHeaders += `${name}:${canonicalValue(readAs === null ? input.host : headers[readAs]!)}\n`;
    }
    const bodyHash = crypto.sha256Hex(input.body);
    const payloadHash = typeof bodyHash === 'string' ? bodyHash : await bodyHash;
    const canonical = `POST\n${pathOf(input.path)}\n\n${canonicalHeaders}\n${signedHeaders}\n${payloadHash}`;
    const scope = `${day}/${input.region}/${input.service}/aws4_request`;
    const canonicalHash = crypto.sha256Hex(canonical);
    const toSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${typeof canonicalHash === 'string' ? canonicalHash : await canonicalHash}`;
    const secret = input.credentials.secretAccessKey;
    const cacheKey = `${secret}|${day}|${input.region}|${input.service}`;
    const key = keys.get(cacheKey) ?? (await deriveSigningKey(cacheKey, secret, day, input.region, input.service));
    const signature = crypto.hmacHex ? crypto.hmacHex(key, toSign) : hex(await crypto.hmac(key, toSign));
    headers.authorization = `AWS4-HMAC-SHA256 Credential=${input.credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
    return headers;
  };
}

/** `20261127T061330Z`. */
export function formatAmzDate(date: Date): string {
  const iso = date.toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
}

/** Header values are trimmed and inner runs of spaces collapsed; most values need neither. */
export function canonicalValue(value: string): string {
  return /^\s|\s$|\s\s/.test(value) ? value.trim().replace(/\s+/g, ' ') : value;
}

/** Each path segment URI-encoded (again), RFC 3986 unreserved characters kept. */
export function canonicalPath(path: string): string {
  return path.split('/').map(uriEncode).join('/');
}

/** SigV4's URI encoding: every byte but RFC 3986 unreserved characters percent-encoded, upper-case hex. */
export function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Imported HMAC keys by the bytes they were imported from. The signer and the verifier keep each derived signing key
 * (one `Uint8Array` per secret, day, region and service, in their own bounded caches), so the key is imported once
 * and a request costs one HMAC, not an import and an HMAC; a key those caches drop is collected with its entry.
 */
const importedKeys = new WeakMap<Uint8Array, Promise<CryptoKey>>();

function importHmacKey(raw: Uint8Array): Promise<CryptoKey> {
  return globalThis.crypto.subtle.importKey('raw', new Uint8Array(raw), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
}

function hmacKeyOf(key: Uint8Array | string): Promise<CryptoKey> {
  if (typeof key === 'string') return importHmacKey(encoder.encode(key));
  let imported = importedKeys.get(key);
  if (!imported) {
    imported = importHmacKey(key);
    importedKeys.set(key, imported);
  }
  return imported;
}

/** SigningCrypto over Web Crypto, for runtimes without node:crypto. */
export const webSigningCrypto: SigningCrypto = {
  async sha256Hex(data) {
    const bytes = typeof data === 'string' ? encoder.encode(data) : new Uint8Array(data);
    return hex(new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bytes)));
  },
  async hmac(key, data) {
    return new Uint8Array(await globalThis.crypto.subtle.sign('HMAC', await hmacKeyOf(key), encoder.encode(data)));
  },
};
