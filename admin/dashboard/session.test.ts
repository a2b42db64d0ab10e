import { describe, expect, it } from 'vitest';
import { memoryConfigStore } from '../../stores/config/memory.ts';
import { sampleAnalysis } from '../../test/support/dashboard-fixtures.ts';
import { createAdminApp } from '../app.ts';
import { runCli } from '../cli-commands.ts';
import { dashboardKey, LINK_TTL_MS, SESSION_COOKIE, SESSION_TTL_MS, signDashboardLink } from './session.ts';

const TOKEN = 'unit-admin-token-0123456789abcdef';
const T0 = 1_800_000_000_000;

function setup() {
  const clock = { now: T0 };
  const app = createAdminApp({
    store: memoryConfigStore(),
    tokens: [TOKEN],
    now: () => clock.now,
    dashboard: { load: async () => ({ analysis: sampleAnalysis() }) },
  });
  return { app, clock };
}

/** Follows a link and returns the session cookie (name=value) it sets, or null. */
async function login(app: ReturnType<typeof setup>['app'], query: string) {
  const res = await app.request(`/admin/dashboard/login?${query}`);
  const setCookie = res.headers.get('set-cookie');
  return { res, setCookie, cookie: setCookie ? setCookie.split(';')[0]! : null };
}

describe('dashboard link and session', () => {
  it('a valid link sets an HttpOnly, SameSite=Strict cookie scoped to the page and redirects to the clean URL', async () => {
    const { app } = setup();
    const { res, setCookie, cookie } = await login(app, signDashboardLink(dashboardKey(TOKEN), T0).query);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/dashboard');
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    expect(setCookie).toContain('Path=/admin/dashboard');
    expect(setCookie).toContain(`Max-Age=${SESSION_TTL_MS / 1000}`);
    expect(setCookie).not.toContain(TOKEN);
    const page = await app.request('/admin/dashboard', { headers: { cookie: cookie! } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<canvas');
  });

  it('the cookie is Secure over HTTPS, also when a TLS-terminating proxy says so in X-Forwarded-Proto', async () => {
    const { app } = setup();
    const query = signDashboardLink(dashboardKey(TOKEN), T0).query;
    const secure = async (url: string, headers: Record<string, string> = {}) =>
      /;\s*Secure/i.test((await app.request(`${url}/admin/dashboard/login?${query}`, { headers })).headers.get('set-cookie') ?? '');
    expect(await secure('https://gw.example')).toBe(true);
    expect(await secure('http://gw.example', { 'x-forwarded-proto': 'https' })).toBe(true);
    expect(await secure('http://gw.example', { 'x-forwarded-proto': 'https, http' })).toBe(true);
    expect(await secure('http://gw.example')).toBe(false);
    expect(await secure('http://gw.example', { 'x-forwarded-proto': 'http' })).toBe(false);
  });

  it('an expired, tampered, too long-lived or malformed link is 401 and sets no cookie', async () => {
    const { app, clock } = setup();
    const key = dashboardKey(TOKEN);
    const { query } = signDashboardLink(key, T0);
    const exp = /exp=(\d+)/.exec(query)![1]!;
    const sig = /sig=([\w-]+)/.exec(query)![1]!;
    const flipped = `${sig.slice(0, -2)}${sig.endsWith('AA') ? 'BB' : 'AA'}`;
    const cases = [
      `exp=${Number(exp) + 1}&sig=${sig}`,
      `exp=${exp}&sig=${flipped}`,
      signDashboardLink(dashboardKey('another-admin-token-0123456789'), T0).query,
      signDashboardLink(key, T0 + 24 * 3_600_000).query,
      `exp=${exp}`,
      `exp=soon&sig=${sig}`,
    ];
    for (const q of cases) {
      const { res, setCookie } = await login(app, q);
      expect(res.status, q).toBe(401);
      expect(setCookie, q).toBeNull();
    }
    clock.now = T0 + LINK_TTL_MS + 1;
    const late = await login(app, query);
    expect(late.res.status).toBe(401);
    expect(await late.res.text()).toContain('dashboard-link');
  });

  it('the cookie opens the dashboard page only: never the admin API, never a write, and not after it expires', async () => {
    const { app, clock } = setup();
    const { cookie } = await login(app, signDashboardLink(dashboardKey(TOKEN), T0).query);
    const headers = { cookie: cookie! };
    expect((await app.request('/admin/config', { headers })).status).toBe(401);
    expect((await app.request('/admin/audit', { headers })).status).toBe(401);
    expect((await app.request('/admin/keys', { method: 'POST', headers, body: '{}' })).status).toBe(401);
    expect((await app.request('/admin/dashboard', { method: 'POST', headers })).status).toBe(401);
    const forged = cookie!.replace(/=(\d+)\./, (_m, e: string) => `=${Number(e) + 1}.`);
    expect((await app.request('/admin/dashboard', { headers: { cookie: forged } })).status).toBe(401);
    expect((await app.request('/admin/dashboard', { headers })).status).toBe(200);
    clock.now = T0 + SESSION_TTL_MS + 1;
    expect((await app.request('/admin/dashboard', { headers })).status).toBe(401);
    expect(cookie!.startsWith(`${SESSION_COOKIE}=`)).toBe(true);
  });

  it('`npm run admin -- dashboard-link` prints a link the app accepts, with no admin token in it', async () => {
    const lines: string[] = [];
    const code = await runCli(['dashboard-link'], { ADMIN_TOKEN: TOKEN, ADMIN_URL: 'http://gw.example:8080' }, (l) => lines.push(l));
    expect(code).toBe(0);
    expect(lines.join('\n')).not.toContain(TOKEN);
    const url = new URL(lines[0]!);
    expect(url.origin + url.pathname).toBe('http://gw.example:8080/admin/dashboard/login');
    const app = createAdminApp({ store: memoryConfigStore(), tokens: [TOKEN], dashboard: { load: async () => ({}) } });
    expect((await app.request(`${url.pathname}${url.search}`)).status).toBe(303);
  });
});
