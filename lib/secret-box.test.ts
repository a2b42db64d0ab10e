import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { importSecretKey, openSecret, parseSecretKey, sealSecret } from './secret-box.ts';

describe('secret box (AES-256-GCM over Web Crypto)', () => {
  it('opens what it sealed, with a fresh nonce each time', async () => {
    const key = await importSecretKey(randomBytes(32));
    const a = await sealSecret(key, 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', 'GWKAOWNER');
    const b = await sealSecret(key, 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', 'GWKAOWNER');
    expect(a).toMatch(/^v1\.[\w-]+\.[\w-]+$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('wJalr');
    expect(await openSecret(key, a, 'GWKAOWNER')).toBe('wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY');
  });

  it('does not open under another key, for another owner, or when altered', async () => {
    const key = await importSecretKey(randomBytes(32));
    const sealed = await sealSecret(key, 'secret', 'GWKAOWNER');
    expect(await openSecret(await importSecretKey(randomBytes(32)), sealed, 'GWKAOWNER')).toBeNull();
    expect(await openSecret(key, sealed, 'GWKAOTHER')).toBeNull();
    // A character well inside the ciphertext (the last one may carry unused bits).
    const at = sealed.length - 5;
    const altered = `${sealed.slice(0, at)}${sealed[at] === 'A' ? 'B' : 'A'}${sealed.slice(at + 1)}`;
    expect(await openSecret(key, altered, 'GWKAOWNER')).toBeNull();
    expect(await openSecret(key, 'v2.x.y', 'GWKAOWNER')).toBeNull();
    expect(await openSecret(key, 'garbage', 'GWKAOWNER')).toBeNull();
  });

  it('reads a 32-byte key as 64 hex digits or base64, and nothing else', () => {
    const raw = randomBytes(32);
    expect(parseSecretKey(raw.toString('hex'))).toEqual(new Uint8Array(raw));
    expect(parseSecretKey(raw.toString('base64'))).toEqual(new Uint8Array(raw));
    expect(parseSecretKey(` ${raw.toString('base64url')}\n`)).toEqual(new Uint8Array(raw));
    expect(parseSecretKey(randomBytes(16).toString('hex'))).toBeNull();
    expect(parseSecretKey(randomBytes(31).toString('base64'))).toBeNull();
    expect(parseSecretKey('not a key')).toBeNull();
  });
});
