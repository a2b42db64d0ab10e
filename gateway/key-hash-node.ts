import { createHash } from 'node:crypto';
import type { KeyHash } from './auth.ts';

/** `KeyHash` over node:crypto: the same hex as Web Crypto's `hashKey`, synchronous. */
export const nodeKeyHash: KeyHash = (key) => createHash('sha256').update(key, 'utf8').digest('hex');
