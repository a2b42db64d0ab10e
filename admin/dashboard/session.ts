import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { z } from 'zod';
import type { AdminAuthVariables } from '../auth.ts';
import { AdminError } from '../errors.ts';
import type { AdminEnv } from '../router.ts';

/** How long a printed dashboard link stays valid. */
export const LINK_TTL_MS = 10 * 60_000;
/** How long the browser session a link opens lasts. */
export const SESSION_TTL_MS = 60 * 60_000;
/** Name of the session cookie (scoped to the dashboard path). */
export const SESSION_COOKIE = 'gw_dashboard';
/** Clock difference tolerated between the machine that signs a link and the one that checks it. */
const SKEW_MS = 60_000;

/** A key that signs dashboard links and sessions: derived from an admin token, never the token itself. */
export type DashboardKey = Buffer;

/** The signing key derived from an admin token (HMAC-SHA256 of a fixed label); rotating the token voids every link. */
export function dashboardKey(adminToken: string): DashboardKey {
  return createHmac('sha256', adminToken).update('llm-gateway dashboard link v1').digest();
}

function sign(key: DashboardKey, purpose: 'link' | 'session', expires: number): string {
  return createHmac('sha256', key).update(`${purpose}.${expires}`).digest('base64url');
}

/** The query string of a link that opens the dashboard until `now + LINK_TTL_MS`. */
export function signDashboardLink(key: DashboardKey, now: number): { query: string; expires: number } {
  const expires = now + LINK_TTL_MS;
  return { query: `exp=${expires}&sig=${sign(key, 'link', expires)}`, expires };
}

/** Whether `sig` signs `purpose.expires` under one of the keys and `expires` lies in (now, now + ttl + skew]. */
function verify(
  keys: readonly DashboardKey[],
  purpose: 'link' | 'session',
  expires: number,
  sig: string,
  now: number,
  ttl: number,
): boolean {
  if (!Number.isSafeInteger(expires) || expires <= now || expires > now + ttl + SKEW_MS) return false;
  const presented = Buffer.from(sig, 'base64url');
  let ok = false;
  for (const key of keys) {
    const expected = Buffer.from(sign(key, purpose, expires), 'base64url');
    if (presented.length === expected.length && timingSafeEqual(presented, expected)) ok = true;
  }
  return ok;
}

const LinkQuery = z.strictObject({
  exp: z.string().regex(/^\d{1,16}$/, 'exp must be epoch milliseconds'),
  sig: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'sig must be a base64url HMAC-SHA256'),
});

/** Whether the request carries a valid dashboard session cookie. */
export function hasDashboardSession(c: Context, keys: readonly DashboardKey[], now: number): boolean {
  const value = getCookie(c, SESSION_COOKIE);
  const m = value ? /^(\d{1,16})\.([A-Za-z0-9_-]{43})$/.exec(value) : null;
  return m ? verify(keys, 'session', Number(m[1]), m[2]!, now, SESSION_TTL_MS) : false;
}

/**
 * Adds `GET /dashboard/login?exp=&sig=` (register it before the admin auth): a valid, unexpired link sets an
 * HttpOnly, SameSite=Strict session cookie scoped to `<basePath>/dashboard` and redirects (303) to the page;
 * an expired, tampered or malformed link is 401 and sets nothing.
 */
export function dashboardLoginRoute(app: Hono<AdminEnv>, o: { basePath: string; keys: readonly DashboardKey[]; now: () => number }): void {
  app.get('/dashboard/login', (c) => {
    const parsed = LinkQuery.safeParse(c.req.query());
    const now = o.now();
    if (!parsed.success || !verify(o.keys, 'link', Number(parsed.data.exp), parsed.data.sig, now, LINK_TTL_MS)) {
      throw new AdminError('unauthenticated', 'dashboard link invalid or expired: print a new one with `npm run admin -- dashboard-link`');
    }
    const expires = now + SESSION_TTL_MS;
    const path = `${o.basePath}/dashboard`;
    setCookie(c, SESSION_COOKIE, `${expires}.${sign(o.keys[0]!, 'session', expires)}`, {
      path,
      httpOnly: true,
      sameSite: 'Strict',
      secure: overHttps(c),
      maxAge: SESSION_TTL_MS / 1000,
    });
    c.header('cache-control', 'no-store');
    c.header('referrer-policy', 'no-referrer');
    return c.redirect(path, 303);
  });
}

/**
 * Whether the browser reached the gateway over HTTPS: the request's own scheme, or the first `X-Forwarded-Proto`
 * of a TLS-terminating proxy. A forged header can only make the cookie stricter (`Secure`), never weaker.
 */
function overHttps(c: Context): boolean {
  const forwarded = c.req.header('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
  return new URL(c.req.url).protocol === 'https:' || forwarded === 'https';
}

/**
 * Wraps the admin bearer auth: a request without an Authorization header may instead present the dashboard
 * session cookie, which authorises `GET <basePath>/dashboard` only, never the admin API.
 */
export function withDashboardSession(
  bearer: MiddlewareHandler<{ Variables: AdminAuthVariables }>,
  o: { basePath: string; keys: readonly DashboardKey[]; now: () => number },
): MiddlewareHandler<{ Variables: AdminAuthVariables }> {
  const page = `${o.basePath}/dashboard`;
  return async (c, next) => {
    const pageRequest = c.req.method === 'GET' && c.req.path === page && !c.req.header('authorization');
    if (pageRequest && hasDashboardSession(c, o.keys, o.now())) {
      c.set('actor', 'dashboard-session');
      return next();
    }
    return bearer(c, next);
  };
}
