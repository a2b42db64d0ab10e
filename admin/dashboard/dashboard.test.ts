import { mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DashboardData } from '../../analysis/report/dashboard.ts';
import { sampleAnalysis, sampleCanary, sampleEvalReport } from '../../test/support/dashboard-fixtures.ts';
import { memoryConfigStore } from '../../stores/config/memory.ts';
import { loadGatewayConfig } from '../../gateway/config/load.ts';
import { createAdminApp } from '../app.ts';
import { seedStore } from '../mutate.ts';
import { latestReport, reportsLoader } from './load.ts';

const TOKEN = 'unit-admin-token-0123456789abcdef';
const dirs: string[] = [];

function reportsDir(): string {
  const dir = join(tmpdir(), `dash-load-${process.pid}-${dirs.length}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  dirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('reports loader', () => {
  it('picks the newest analysis.json of the directory and its subdirectories and validates both reports', async () => {
    const dir = reportsDir();
    const older = sampleAnalysis();
    const newer = { ...sampleAnalysis(), generatedAt: '2026-02-01T00:00:00.000Z', extra: 'ignored' };
    writeFileSync(join(dir, 'analysis.json'), JSON.stringify(older));
    mkdirSync(join(dir, 'run-2'));
    writeFileSync(join(dir, 'run-2', 'analysis.json'), JSON.stringify(newer));
    utimesSync(join(dir, 'analysis.json'), new Date(1_000_000), new Date(1_000_000));
    writeFileSync(join(dir, 'eval-report.json'), JSON.stringify(sampleEvalReport()));
    expect(latestReport(dir, 'analysis.json')).toBe(join(dir, 'run-2', 'analysis.json'));
    const data = await reportsLoader({ reportsDir: dir, canaries: async () => [sampleCanary()] })();
    expect(data.analysis?.generatedAt).toBe('2026-02-01T00:00:00.000Z');
    expect(data.evaluation?.runId).toBe(sampleEvalReport().runId);
    expect(data.canaries).toHaveLength(1);
    expect(data.notices).toEqual([]);
  });

  it('turns unreadable reports, invalid canaries and a failing canary source into notices', async () => {
    const dir = reportsDir();
    writeFileSync(join(dir, 'analysis.json'), '{ not json');
    writeFileSync(join(dir, 'eval-report.json'), JSON.stringify({ runId: 3 }));
    const invalid = await reportsLoader({ reportsDir: dir, canaries: async () => [sampleCanary(), { canary: {} }] })();
    expect(invalid.analysis).toBeUndefined();
    expect(invalid.evaluation).toBeUndefined();
    expect(invalid.canaries).toHaveLength(1);
    expect(invalid.notices).toHaveLength(3);
    expect(invalid.notices![0]).toContain('not readable JSON');
    expect(invalid.notices![1]).toContain('does not have the expected shape');
    const failing = await reportsLoader({
      reportsDir: join(dir, 'absent'),
      canaries: async () => {
        throw new Error('store down');
      },
      runningExperiments: async () => {
        throw new Error('store down');
      },
    })();
    expect(failing.notices).toEqual(['canary timelines unavailable: store down', 'running experiments unavailable: store down']);
    expect(failing.runningExperiments).toBeUndefined();
    expect(failing.canaries).toEqual([]);
  });
});

describe('GET /admin/dashboard', () => {
  async function app(load: () => Promise<DashboardData> = async () => ({ analysis: sampleAnalysis() })) {
    const admin = createAdminApp({
      store: memoryConfigStore(),
      tokens: [TOKEN],
      isDataPlaneKey: async (k) => k === 'gwk_data',
      dashboard: { load },
    });
    return admin;
  }

  it('serves the page to an admin, with a policy that allows no outside request', async () => {
    const res = await (await app()).request('/admin/dashboard', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(res.headers.get('cache-control')).toBe('no-store');
    const html = await res.text();
    expect(html).toContain('id="intent-faq-cost-quality"');
  });

  it('refuses without a token (401) and with a data-plane key (403), without loading anything', async () => {
    let loads = 0;
    const admin = await app(async () => {
      loads++;
      return {};
    });
    expect((await admin.request('/admin/dashboard')).status).toBe(401);
    expect((await admin.request('/admin/dashboard', { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await admin.request('/admin/dashboard', { headers: { authorization: 'Bearer gwk_data' } })).status).toBe(403);
    expect(loads).toBe(0);
  });
});

describe('the admin app’s own dashboard', () => {
  it('shows the newest reports under the reports directory and the canary controller’s timelines', async () => {
    const dir = reportsDir();
    writeFileSync(join(dir, 'analysis.json'), JSON.stringify(sampleAnalysis()));
    mkdirSync(join(dir, 'eval', 'run-1'), { recursive: true });
    writeFileSync(join(dir, 'eval', 'run-1', 'eval-report.json'), JSON.stringify(sampleEvalReport()));
    const config = loadGatewayConfig('config/mangaassist.json');
    config.canaries.push({
      id: 'haiku-faq',
      route: 'mangaassist',
      intent: 'faq',
      baseline: 'sonnet-35-v1',
      candidate: 'haiku-35',
      weight: 0,
      status: 'running',
    });
    const store = memoryConfigStore();
    await seedStore(store, config, Date.now);
    const admin = createAdminApp({ store, tokens: [TOKEN], dashboard: { reportsDir: dir } });
    const res = await admin.request('/admin/dashboard', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    const html = await res.text();
    const json = /<script type="application\/json" id="dashboard-data">([\s\S]*?)<\/script>/.exec(html)?.[1];
    const data = JSON.parse(json!) as {
      analysis: unknown;
      evaluation: { runId: string };
      canaries: { canary: { id: string }; state: { status: string } }[];
    };
    expect(data.analysis).not.toBeNull();
    expect(data.evaluation.runId).toBe(sampleEvalReport().runId);
    expect(data.canaries.map((c) => [c.canary.id, c.state.status])).toEqual([['haiku-faq', 'pending']]);
    const running = config.experiments.filter((e) => e.status === 'running').map((e) => e.id);
    expect(running.length).toBeGreaterThan(0);
    expect(html).toContain(`${running.length} running`);
  });
});
