import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminApp } from '../admin/app.ts';
import { reportsLoader } from '../admin/dashboard/load.ts';
import { dashboardKey, LINK_TTL_MS, signDashboardLink } from '../admin/dashboard/session.ts';
import { runJob } from '../analysis/job.ts';
import type { AnalysisReport } from '../analysis/report/build.ts';
import { renderDashboard, type ChartSpec, type DashboardAnalysis } from '../analysis/report/dashboard.ts';
import { writeDashboard } from '../analysis/report/write-dashboard.ts';
import { listenDual, type DualServer } from '../lib/node/listen.ts';
import { memoryConfigStore } from '../stores/config/memory.ts';
import { openDatabase } from '../stores/sqlite/database.ts';
import { MANGA_MIX, writeExperimentRows, writeSimulatedRows } from './analysis-rows.ts';
import { chromiumMissing, launchChromium } from './support/chromium.ts';
import { sampleCanary, sampleEvalReport } from './support/dashboard-fixtures.ts';
import { tempDir } from './support/gateway.ts';
import type { ResponseJson } from './support/json.ts';

const missing = chromiumMissing();
const ADMIN_TOKEN = 'dashboard-admin-token-0123456789';
const DATA_PLANE_KEY = 'gwk_dashboard_data_plane_key';
const ARTIFACTS = 'test-artifacts';

/** What the page says about its charts: per id, each dataset's role and data, and how many pixels it painted. */
/** The parts of a Chart.js chart the test reads in the page. */
interface DrawnChart {
  canvas: HTMLCanvasElement;
  config: { type: string };
  data: { datasets: { role: string; data: unknown[] }[] };
  getDatasetMeta(index: number): { data: unknown[] };
}

type Drawn = Record<string, { type: string; datasets: { role: string; data: unknown[] }[]; painted: number; points: number }>;

let dir: string;
let report: AnalysisReport;
let dashboardPath: string;
let browser: Browser;
let server: DualServer;

async function watch(page: Page) {
  const problems: string[] = [];
  const external: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:') || url.startsWith(server.url)) return route.continue();
    external.push(url);
    return route.abort();
  });
  return { problems, external };
}

function drawnCharts(page: Page): Promise<Drawn> {
  return page.evaluate(() => {
    const charts = (window as unknown as { __charts: Record<string, DrawnChart> }).__charts;
    const out: Drawn = {};
    for (const [id, chart] of Object.entries(charts)) {
      const canvas = chart.canvas as HTMLCanvasElement;
      const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let painted = 0;
      for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) painted++;
      const points = chart.data.datasets.reduce((n: number, _d: unknown, i: number) => n + chart.getDatasetMeta(i).data.length, 0);
      out[id] = {
        type: chart.config.type,
        datasets: chart.data.datasets.map((d) => ({ role: d.role, data: d.data })),
        painted,
        points,
      };
    }
    return out;
  });
}

/** Per table wrapper, how much wider its table is than the space it has (0 when it fits). */
function clippedTables(page: Page): Promise<{ where: string; overflow: number }[]> {
  return page.$$eval('.table-wrap', (wraps) =>
    wraps.map((w) => ({ where: w.closest('[id]')?.id ?? '?', overflow: Math.max(0, w.scrollWidth - w.clientWidth) })),
  );
}

/** Per chart and linear axis, the printed tick labels, the axis range and where the points sit in pixels. */
function axes(page: Page) {
  return page.evaluate(() => {
    type Scale = { type: string; min: number; max: number; left: number; right: number; ticks: { label: string | string[] }[] };
    type Chart = { scales: Record<string, Scale>; data: { datasets: unknown[] }; getDatasetMeta(i: number): { data: { x: number }[] } };
    const charts = (window as unknown as { __charts: Record<string, Chart> }).__charts;
    return Object.entries(charts).map(([id, chart]) => ({
      id,
      scales: Object.entries(chart.scales)
        .filter(([, s]) => s.type === 'linear')
        .map(([key, s]) => ({ key, min: s.min, max: s.max, left: s.left, right: s.right, labels: s.ticks.map((t) => String(t.label)) })),
      pointX: chart.data.datasets.length ? chart.getDatasetMeta(0).data.map((p) => p.x) : [],
    }));
  });
}

const data = (drawn: Drawn, id: string, role: string): unknown[] | undefined => drawn[id]?.datasets.find((d) => d.role === role)?.data;

beforeAll(async () => {
  if (missing) return;
  dir = tempDir('dashboard-');
  const store = join(dir, 'gateway.db');
  const db = openDatabase(store);
  writeSimulatedRows(db, {
    sessions: 1500,
    requestsPerSession: 2,
    seed: 11,
    configs: (intent) => (intent === 'recommendation' ? ['sonnet-35-v1', 'sonnet-35-v2', 'haiku-35'] : ['sonnet-35-v2', 'haiku-35']),
  });
  writeExperimentRows(db, {
    experimentId: 'haiku-faq',
    intent: 'faq',
    control: 'sonnet-35-v2',
    treatment: 'haiku-35',
    treatmentShare: 0.5,
    sessions: 600,
    seed: 5,
    sessionSd: 0.05,
    cartAdd: [0.1, 0.1],
    escalated: [0.05, 0.05],
  });
  db.close();
  const config = JSON.parse(readFileSync('config/mangaassist.json', 'utf8')) as ResponseJson;
  config.routes[0].table = Object.fromEntries(Object.keys(MANGA_MIX).map((i) => [i, 'sonnet-35-v2']));
  config.routes[0].default = 'sonnet-35-v2';
  config.experiments = [
    { id: 'haiku-faq', route: 'mangaassist', intent: 'faq', control: 'sonnet-35-v2', treatment: 'haiku-35', split: 0.5, status: 'running' },
  ];
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const reports = join(dir, 'reports');
  const job = await runJob({ store, configPath: join(dir, 'config.json'), outDir: reports });
  report = JSON.parse(readFileSync(job.jsonPath, 'utf8')) as AnalysisReport;
  writeFileSync(join(reports, 'eval-report.json'), JSON.stringify(sampleEvalReport()));
  dashboardPath = writeDashboard(job.jsonPath, { analysis: report, evaluation: sampleEvalReport(), canaries: [sampleCanary()] });

  const app = createAdminApp({
    store: memoryConfigStore(),
    tokens: [ADMIN_TOKEN],
    isDataPlaneKey: async (k) => k === DATA_PLANE_KEY,
    dashboard: { load: reportsLoader({ reportsDir: reports, canaries: async () => [sampleCanary()] }) },
  });
  server = await listenDual((req) => app.fetch(req), { host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close(1000);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(missing !== null)('dashboard page in headless Chromium', () => {
  it("loads from disk with no console error and no request, draws every chart with the report's numbers, and is saved as a screenshot", async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const seen = await watch(page);
    await page.goto(pathToFileURL(dashboardPath).href);
    await page.waitForSelector('body[data-charts-ready]');
    const specs = JSON.parse((await page.textContent('#dashboard-data'))!).charts as ChartSpec[];
    const drawn = await drawnCharts(page);
    expect(seen.problems).toEqual([]);
    expect(seen.external).toEqual([]);
    expect(Object.keys(drawn).sort()).toEqual(specs.map((s) => s.id).sort());
    expect(await page.getAttribute('body', 'data-charts-ready')).toBe(String(specs.length));
    for (const [id, chart] of Object.entries(drawn)) {
      expect(await page.locator(`canvas#${id}[data-chart="${id}"]`).count()).toBe(1);
      expect(chart.points, id).toBeGreaterThan(0);
      expect(chart.painted, id).toBeGreaterThan(500);
    }

    const intents = [...new Set(report.intents.map((r) => r.intent))];
    expect(intents.length).toBe(8);
    for (const intent of intents) {
      const rows = report.intents.filter((r) => r.intent === intent);
      expect(data(drawn, `intent-${intent}-cost-quality`, 'configs')).toEqual(
        rows.map((r) => ({ x: r.costPerRequest, y: r.meanQuality, label: r.configId })),
      );
      expect(data(drawn, `intent-${intent}-latency-quality`, 'configs')).toEqual(
        rows.map((r) => ({ x: r.latencyMs![95], y: r.meanQuality, label: r.configId })),
      );
      const choice = report.recommendation!.choices.find((c) => c.intent === intent)!;
      const front = (data(drawn, `intent-${intent}-cost-quality`, 'front') ?? []) as { label: string }[];
      expect(front.map((p) => p.label).sort()).toEqual([...choice.front].sort());
      const chosen = data(drawn, `intent-${intent}-cost-quality`, 'chosen') as { label: string }[] | undefined;
      expect(chosen?.[0]?.label ?? null).toBe(choice.passing.includes(choice.recommended) ? choice.recommended : null);
    }
    expect(report.recommendation!.route.table.chitchat).toBe('haiku-35');

    expect(report.experiments).toHaveLength(1);
    const e = report.experiments[0]!;
    expect(data(drawn, 'experiments-intervals', 'ci')).toEqual([e.quality.session.ci]);
    expect(data(drawn, 'experiments-intervals', 'estimate')).toEqual([e.quality.session.diff]);
    expect(await page.textContent('#experiments')).toContain(e.decision.decision);

    const rec = report.recommendation!;
    expect(data(drawn, 'traffic-mix', 'mix')).toEqual(Object.values(rec.mix));
    expect(data(drawn, 'cost-projection', 'current')).toEqual(rec.current.perIntent.map((p) => p.monthlyUsd));
    expect(data(drawn, 'cost-projection', 'recommended')).toEqual(rec.recommended.perIntent.map((p) => p.monthlyUsd));

    const evaluation = sampleEvalReport();
    const evalRec = evaluation.rows.filter((r) => r.intent === 'recommendation');
    expect(data(drawn, 'eval-recommendation-cost-quality', 'configs')).toEqual(
      evalRec.map((r) => ({ x: r.costPerRequest, y: r.meanQuality, label: r.configId })),
    );
    expect((data(drawn, 'eval-faq-cost-quality', 'chosen') as { label: string }[])[0]!.label).toBe('haiku-35');

    const canary = sampleCanary();
    const weights = (data(drawn, 'canary-haiku-faq-canary-timeline', 'weight') as { y: number }[]).map((p) => p.y);
    expect(weights.slice(0, canary.decisions.length)).toEqual(canary.decisions.map((d) => d.weight));
    expect(await page.locator('[data-canary="haiku-faq-canary"] tbody tr').count()).toBe(canary.decisions.length);

    expect(await clippedTables(page)).toEqual((await clippedTables(page)).map((t) => ({ ...t, overflow: 0 })));
    expect((await clippedTables(page)).length).toBeGreaterThan(8);
    for (const chart of await axes(page)) {
      for (const scale of chart.scales)
        expect(new Set(scale.labels).size, `${chart.id} ${scale.key}: ${scale.labels}`).toBe(scale.labels.length);
    }

    mkdirSync(ARTIFACTS, { recursive: true });
    const shot = join(ARTIFACTS, 'dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(50_000);
    await page.close();
  });

  it('is served by the admin app behind its auth: 200 with the admin token, 401 without, 403 for a data-plane key', async () => {
    const anonymous = await fetch(`${server.url}/admin/dashboard`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).not.toContain('<canvas');
    const dataPlane = await fetch(`${server.url}/admin/dashboard`, { headers: { authorization: `Bearer ${DATA_PLANE_KEY}` } });
    expect(dataPlane.status).toBe(403);

    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    const seen = await watch(page);
    const refused = await page.goto(`${server.url}/admin/dashboard`);
    expect(refused!.status()).toBe(401);
    await page.setExtraHTTPHeaders({ authorization: `Bearer ${ADMIN_TOKEN}` });
    const answer = await page.goto(`${server.url}/admin/dashboard`);
    expect(answer!.status()).toBe(200);
    expect(answer!.headers()['content-type']).toContain('text/html');
    await page.waitForSelector('body[data-charts-ready]');
    const drawn = await drawnCharts(page);
    expect(seen.problems.filter((p) => !p.includes('401'))).toEqual([]);
    expect(seen.external).toEqual([]);
    const rows = report.intents.filter((r) => r.intent === 'faq');
    expect(data(drawn, 'intent-faq-cost-quality', 'configs')).toEqual(
      rows.map((r) => ({ x: r.costPerRequest, y: r.meanQuality, label: r.configId })),
    );
    expect(data(drawn, 'eval-faq-cost-quality', 'configs')).toHaveLength(2);
    expect(drawn['canary-haiku-faq-canary-timeline']).toBeDefined();
    await page.close();
  });

  it('at 1400 px: no clipped table, "No data yet" instead of an empty chart, distinct ticks, $0, a latency range that fits', async () => {
    const analysis = structuredClone(report) as unknown as DashboardAnalysis;
    const faq = analysis.intents.filter((r) => r.intent === 'faq');
    faq.forEach((r, i) => {
      r.latencyMs = { 50: 40, 95: 61 + 0.2 * i, 99: 70 };
    });
    for (const r of analysis.intents.filter((x) => x.intent === 'chitchat')) r.meanQuality = null;
    analysis.recommendation!.monthlySavingUsd = 0;
    analysis.unanalysed = analysis.experiments.map((e) => ({ id: e.id, intent: e.intent, reason: 'too few scored sessions', srm: null }));
    analysis.experiments = [];
    const path = join(dir, 'rough-edges.html');
    writeFileSync(path, renderDashboard({ analysis }));
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const seen = await watch(page);
    await page.goto(pathToFileURL(path).href);
    await page.waitForSelector('body[data-charts-ready]');
    expect(seen.problems).toEqual([]);

    expect(await page.getAttribute('body', 'data-charts-empty')).toBe('2');
    expect(await page.locator('[data-intent="chitchat"] .no-data').allTextContents()).toEqual(['No data yet', 'No data yet']);
    expect(await page.locator('[data-intent="chitchat"] canvas').count()).toBe(0);
    expect((await clippedTables(page)).every((t) => t.overflow === 0)).toBe(true);

    const drawn = await axes(page);
    expect(drawn.map((c) => c.id)).not.toContain('intent-chitchat-cost-quality');
    for (const chart of drawn) {
      for (const scale of chart.scales)
        expect(new Set(scale.labels).size, `${chart.id} ${scale.key}: ${scale.labels}`).toBe(scale.labels.length);
    }
    const latency = drawn.find((c) => c.id === 'intent-faq-latency-quality')!;
    const x = latency.scales.find((sc) => sc.key === 'x')!;
    expect(x.min).toBeGreaterThan(0);
    expect(x.max).toBeLessThan(100);
    const spread = Math.max(...latency.pointX) - Math.min(...latency.pointX);
    expect(spread).toBeGreaterThan((x.right - x.left) / 3);
    expect(await page.textContent('figure:has(#intent-faq-latency-quality) figcaption')).toContain('off the chart');

    expect(await page.textContent('[data-tile="experiments"] strong')).toBe('1');
    expect(await page.textContent('.summary')).toContain('Monthly saving$0');
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-rough-edges.png'), fullPage: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-rough-edges-top.png') });
    await page.locator('[data-intent="faq"]').screenshot({ path: join(ARTIFACTS, 'dashboard-faq-card.png') });
    await page.close();
  });

  it('opens from a signed link in the address bar: a cookie for the page only, a clean URL, no token in any URL', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    const urls: string[] = [];
    page.on('request', (r) => urls.push(r.url()));
    const expired = signDashboardLink(dashboardKey(ADMIN_TOKEN), Date.now() - LINK_TTL_MS - 1000).query;
    expect((await page.goto(`${server.url}/admin/dashboard/login?${expired}`))!.status()).toBe(401);
    expect(await context.cookies()).toEqual([]);
    const link = signDashboardLink(dashboardKey(ADMIN_TOKEN), Date.now()).query;
    const answer = await page.goto(`${server.url}/admin/dashboard/login?${link}`);
    expect(answer!.status()).toBe(200);
    expect(page.url()).toBe(`${server.url}/admin/dashboard`);
    await page.waitForSelector('body[data-charts-ready]');
    const [cookie, ...others] = await context.cookies();
    expect(others).toEqual([]);
    expect(cookie).toMatchObject({ path: '/admin/dashboard', httpOnly: true, sameSite: 'Strict' });
    expect(await page.evaluate(() => document.cookie)).toBe('');
    expect((await page.request.get(`${server.url}/admin/config`)).status()).toBe(401);
    expect((await page.request.get(`${server.url}/admin/dashboard`)).status()).toBe(200);
    expect(urls.some((u) => u.includes(ADMIN_TOKEN))).toBe(false);
    await context.close();
  });
});
