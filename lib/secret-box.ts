/**
 * Secrets that must be recovered later (a SigV4 key's secret, which verification needs in clear) are sealed with
 * AES-256-GCM under the gateway's secret key. Web Crypto only, so the data plane can open them on any runtime.
 * A sealed value reads `v1.<iv>.<ciphertext and tag>` (base64url); the associated data binds it to one owner
 * (e.g. the access key id), so a sealed secret copied onto another record does not open.
 */

const VERSION = 'v1';
const IV_BYTES = 12;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Raw bytes of a 256-bit key written as 64 hex digits or as base64 (standard or URL alphabet); null otherwise. */
export function parseSecretKey(text: string): Uint8Array<ArrayBuffer> | null {
  const value = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Uint8Array.from(value.match(/../g)!.map((h) => Number.parseInt(h, 16)));
  if (!/^[A-Za-z0-9+/_-]{43}={0,1}$/.test(value)) return null;
  const bytes = fromBase64Url(value.replace(/=+$/, ''));
  return bytes?.length === 32 ? bytes : null;
}

/** Imports 32 raw bytes as an AES-256-GCM key that can seal and open (never exported again). */
export function importSecretKey(raw: Uint8Array): Promise<CryptoKey> {
  if (raw.length !== 32) throw new Error(`the secret key must be 32 bytes, got ${raw.length}`);
  return crypto.subtle.importKey('raw', new Uint8Array(raw), { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
}

/** Encrypts `plaintext` for `owner` with a fresh random nonce. */
export async function sealSecret(key: CryptoKey, plaintext: string, owner: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: encoder.encode(owner) },
    key,
    encoder.encode(plaintext),
  );
  return `${VERSION}.${toBase64Url(iv)}.${toBase64Url(new Uint8Array(sealed))}`;
}

/** Decrypts a sealed value of `owner`; null when it is malformed, was sealed under another key, or for another owner. */
export async function openSecret(key: CryptoKey, sealed: string, owner: string): Promise<string | null> {
  const [version, ivText, bodyText, extra] = sealed.split('.');
  if (version !== VERSION || !ivText || !bodyText || extra !== undefined) return null;
  const iv = fromBase64Url(ivText);
  const body = fromBase64Url(bodyText);
  if (!iv || iv.length !== IV_BYTES || !body) return null;
  try {
    const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv, additionalData: encoder.encode(owner) }, key, body);
    return decoder.decode(plain);
  } catch {
    return null;
  }
}

/** Unpadded base64url of bytes. */
export function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9+/_-]*$/.test(text)) return null;
  try {
    const binary = atob(
      text
        .replace(/-/g, '+')
        .replace(/_/g, '/')
        .padEnd(Math.ceil(text.length / 4) * 4, '='),
    );
    return Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
  } catch {
    return null;
  }
}
