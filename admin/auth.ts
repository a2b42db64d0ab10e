import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MiddlewareHandler } from 'hono';
import { AdminError } from './errors.ts';

/** An admin token as the app keeps it: its SHA-256 and the id the audit log names it by. */
export interface AdminCredential {
  id: string;
  hash: Buffer;
}

const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();

/** The admin credential of a token; its id is a fingerprint that reveals nothing usable. */
export function adminCredential(token: string): AdminCredential {
  const hash = sha256(token);
  return { id: `admin-${hash.toString('hex').slice(0, 12)}`, hash };
}

/** Variables the admin auth middleware sets. */
export type AdminAuthVariables = { actor: string };

/**
 * Requires `Authorization: Bearer <admin token>`, compared in constant time. A missing or unknown token
 * is 401; a valid data-plane key is 403 (authenticated, but not allowed here).
 */
export function adminAuth(
  credentials: AdminCredential[],
  isDataPlaneKey: (key: string) => Promise<boolean>,
): MiddlewareHandler<{ Variables: AdminAuthVariables }> {
  return async (c, next) => {
    const header = c.req.header('authorization');
    if (!header) throw new AdminError('unauthenticated', 'missing admin token: send Authorization: Bearer <ADMIN_TOKEN>');
    const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    if (!token) throw new AdminError('unauthenticated', 'unsupported Authorization scheme: send Authorization: Bearer <ADMIN_TOKEN>');
    const presented = sha256(token);
    let match: AdminCredential | undefined;
    for (const credential of credentials) if (timingSafeEqual(presented, credential.hash)) match = credential;
    if (match) {
      c.set('actor', match.id);
      return next();
    }
    if (await isDataPlaneKey(token)) throw new AdminError('forbidden', 'a data-plane API key cannot use the admin API');
    throw new AdminError('unauthenticated', 'unknown admin token');
  };
}

/**
 * The admin token: `ADMIN_TOKEN` when set; otherwise the one kept in `<dataDir>/admin-token` (mode 0600),
 * generated and announced through `announce` the first time only.
 */
export function resolveAdminToken(envToken: string | undefined, dataDir: string, announce: (line: string) => void): string {
  if (envToken) return envToken;
  const file = join(dataDir, 'admin-token');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const token = `gwa_${randomBytes(32).toString('base64url')}`;
  writeFileSync(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  // The token itself never goes to the log (logs are shipped and kept); the file is where to read it.
  announce(`admin token generated: kept in ${file} (readable by this user only); read it with: cat ${file}`);
  return token;
}
