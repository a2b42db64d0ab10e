import type { Context, Hono } from 'hono';
import { renderDashboard, type DashboardData } from '../../analysis/report/dashboard.ts';
import { AdminRouter, type AdminEnv } from '../router.ts';

/** What the dashboard route needs: a way to gather the reports it shows. */
export interface DashboardRouteDeps {
  load: () => Promise<DashboardData>;
}

/** The page allows only its own inline script and styles: no request leaves it. */
const CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:";

/**
 * Serves `GET /dashboard` (under the admin base path, so behind the admin auth of the app it is added to):
 * the dashboard page over freshly loaded reports. Takes the admin router (the operation then appears in the
 * OpenAPI document) or the admin Hono app.
 */
export function dashboardRoutes(target: AdminRouter | Hono<AdminEnv>, deps: DashboardRouteDeps): void {
  const handler = async (c: Context<AdminEnv>): Promise<Response> => {
    const html = renderDashboard(await deps.load());
    c.header('content-security-policy', CSP);
    c.header('cache-control', 'no-store');
    c.header('x-content-type-options', 'nosniff');
    return c.html(html);
  };
  if (target instanceof AdminRouter) {
    target.add({
      method: 'get',
      path: '/dashboard',
      tag: 'dashboard',
      summary: 'Dashboard page (HTML): analysis, offline evaluation, canary timelines',
      handler,
    });
  } else {
    target.get('/dashboard', handler);
  }
}
