import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readEnv } from '../gateway/env.ts';
import { resolveSecretKey } from './secret-key.ts';

const dir = () => mkdtempSync(join(tmpdir(), 'gw-secret-'));

describe('the secret key that seals SigV4 secrets', () => {
  it('is generated once under DATA_DIR (mode 0600), announced without its value, and reused', () => {
    const dataDir = join(dir(), 'data');
    const lines: string[] = [];
    const first = resolveSecretKey(undefined, dataDir, (l) => lines.push(l));
    const file = join(dataDir, 'secret-key');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(first).toHaveLength(32);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(file);
    expect(lines[0]).not.toContain(Buffer.from(first).toString('hex'));
    expect(resolveSecretKey(undefined, dataDir, (l) => lines.push(l))).toEqual(first);
    expect(lines).toHaveLength(1);
  });

  it('comes from GATEWAY_SECRET_KEY when set, and then no file is written', () => {
    const dataDir = dir();
    const raw = randomBytes(32);
    expect(resolveSecretKey(raw.toString('base64'), dataDir, () => {})).toEqual(new Uint8Array(raw));
    expect(() => statSync(join(dataDir, 'secret-key'))).toThrow();
  });

  it('refuses a damaged key file, naming it', () => {
    const dataDir = dir();
    writeFileSync(join(dataDir, 'secret-key'), 'abc\n');
    expect(() => resolveSecretKey(undefined, dataDir, () => {})).toThrow(/secret-key does not hold a 32-byte key/);
    expect(readFileSync(join(dataDir, 'secret-key'), 'utf8')).toBe('abc\n');
  });

  it('GATEWAY_SECRET_KEY is checked with the rest of the environment', () => {
    expect(readEnv({ GATEWAY_SECRET_KEY: randomBytes(32).toString('hex') }).GATEWAY_SECRET_KEY).toHaveLength(64);
    expect(() => readEnv({ GATEWAY_SECRET_KEY: 'too-short' })).toThrow(/GATEWAY_SECRET_KEY/);
  });
});
