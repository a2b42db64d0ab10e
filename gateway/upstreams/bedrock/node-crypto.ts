import { createHash, createHmac } from 'node:crypto';
import type { SigningCrypto } from './sigv4.ts';

/** SigningCrypto over node:crypto: synchronous and several times faster than Web Crypto per call. */
export const nodeSigningCrypto: SigningCrypto = {
  sha256Hex: (data) => createHash('sha256').update(data).digest('hex'),
  hmac: (key, data) => createHmac('sha256', key).update(data).digest(),
};
