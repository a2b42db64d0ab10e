import { describe, expect, it } from 'vitest';
import { hashKey, staticApiKeys } from './auth.ts';
import { nodeKeyHash } from './key-hash-node.ts';

describe('nodeKeyHash', () => {
  it.each(['gk-abc123', '', 'clé-ключ-鍵 🔑', 'x'.repeat(1000)])('gives the hex Web Crypto gives for %j', async (key) => {
    expect(nodeKeyHash(key)).toBe(await hashKey(key));
  });

  it('checks keys hashed with it like keys hashed with Web Crypto', async () => {
    const check = await staticApiKeys(['gk-one', 'gk-two'], nodeKeyHash);
    expect(await check.isValid('gk-two')).toBe(true);
    expect(await check.isValid('gk-three')).toBe(false);
  });
});
