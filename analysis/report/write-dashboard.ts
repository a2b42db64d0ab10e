import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { renderDashboard, type DashboardData } from './dashboard.ts';

/** File name of the dashboard written beside `analysis.json`. */
export const DASHBOARD_FILE = 'dashboard.html';

/**
 * Writes `dashboard.html` beside an analysis report (`jsonPath` is the report's `analysis.json`) and returns
 * its path. The page is self-contained: it opens from disk with no server and no network.
 */
export function writeDashboard(jsonPath: string, data: DashboardData): string {
  const path = join(dirname(jsonPath), DASHBOARD_FILE);
  writeFileSync(path, renderDashboard(data));
  return path;
}
