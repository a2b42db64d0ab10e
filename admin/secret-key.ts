import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSecretKey } from '../lib/secret-box.ts';

/**
 * The key that seals SigV4 secrets (32 bytes): `GATEWAY_SECRET_KEY` when set (already checked by the environment
 * schema); otherwise the one kept in `<dataDir>/secret-key` (64 hex digits, mode 0600), generated the first time.
 * Replicas that share a config store must share this key, or they cannot verify each other's SigV4 keys.
 */
export function resolveSecretKey(envKey: string | undefined, dataDir: string, announce: (line: string) => void): Uint8Array {
  if (envKey) {
    const raw = parseSecretKey(envKey);
    if (!raw) throw new Error('GATEWAY_SECRET_KEY must be 32 bytes, written as 64 hex digits or base64');
    return raw;
  }
  const file = join(dataDir, 'secret-key');
  if (existsSync(file)) {
    const raw = parseSecretKey(readFileSync(file, 'utf8'));
    if (!raw) throw new Error(`${file} does not hold a 32-byte key (64 hex digits or base64)`);
    return raw;
  }
  mkdirSync(dataDir, { recursive: true });
  const raw = randomBytes(32);
  writeFileSync(file, `${raw.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  // The key itself never goes to the log; the file is where it lives.
  announce(
    `secret key for SigV4 keys generated: kept in ${file} (readable by this user only); set GATEWAY_SECRET_KEY to share it across replicas`,
  );
  return new Uint8Array(raw);
}
