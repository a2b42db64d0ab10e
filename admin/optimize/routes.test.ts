import { describe, expect, it } from 'vitest';
import type { IntentConfigRow } from '../../analysis/intent-table.ts';
import { recommendRoute } from '../../analysis/recommend.ts';
import { AnalysisSettings } from '../../analysis/settings.ts';
import { loadGatewayConfig } from '../../stores/config/file.ts';
import { memoryConfigStore } from '../../stores/config/memory.ts';
import { demoReport, intentRow } from '../../test/support/choice-fixtures.ts';
import type { ResponseJson } from '../../test/support/json.ts';
import { createAdminApp } from '../app.ts';
import { seedStore } from '../mutate.ts';
import type { OptimizeSource } from './routes.ts';

const TOKEN = 'optimize-routes-admin-token-0123456789';
const DATA_KEY = 'data-plane-key-0123456789';
const settings = AnalysisSettings.parse({});

function row(intent: string, configId: string, scored: number, cost: number): IntentConfigRow {
  return intentRow(intent, configId, { requests: scored, scored, quality: 0.86, passRate: 0.92, cost, costSd: cost / 10, p95: 1200 });
}

/** faq: haiku-35 passes at under a third of the cost of sonnet-35-v1, which is in force. */
const ROWS = [row('faq', 'sonnet-35-v1', 150, 0.004), row('faq', 'haiku-35', 120, 0.0012)];

function report(rows: IntentConfigRow[]) {
  const route = loadGatewayConfig('config/mangaassist.json').routes[0]!;
  const recommendation = rows.length ? recommendRoute(rows, route, { faq: 0.5, chitchat: 0.5 }, settings) : null;
  return { ...demoReport(), intents: rows, recommendation };
}

async function setup(analyse: OptimizeSource['analyse'] = async () => report(ROWS)) {
  const store = memoryConfigStore();
  const seeded = await seedStore(store, loadGatewayConfig('config/mangaassist.json'), Date.now);
  if (!seeded.ok) throw new Error(seeded.message);
  const app = createAdminApp({
    store,
    tokens: [TOKEN],
    isDataPlaneKey: async (k) => k === DATA_KEY,
    now: () => Date.parse('2026-11-30T01:00:00Z'),
    canary: { log: () => {} },
    optimize: { analyse, offline: async () => null },
  });
  const call = async (method: string, path: string, body?: unknown, token: string | null = TOKEN) => {
    const res = await app.request(`/admin${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as ResponseJson) : null };
  };
  const audit = async () => (await call('GET', '/audit?limit=1000')).json.entries as { action: string; after: ResponseJson }[];
  const canaries = async () => (await call('GET', '/config')).json.config.canaries as { id: string }[];
  return { store, call, audit, canaries };
}

describe('POST /admin/optimize and GET /admin/optimize', () => {
  it('plans without changing anything by default', async () => {
    const { call, audit, canaries } = await setup();
    const before = await audit();
    const res = await call('POST', '/optimize', {});
    expect(res.status).toBe(200);
    expect(res.json.applied).toBe(false);
    const faq = res.json.plan.steps.find((s: { intent: string }) => s.intent === 'faq');
    expect(faq).toMatchObject({
      action: 'canary',
      canaryId: 'optimize-faq',
      baseline: 'sonnet-35-v1',
      candidate: 'haiku-35',
      startRestsOn: 'live',
    });
    expect(res.json.plan.steps.find((s: { intent: string }) => s.intent === 'recommendation')).toMatchObject({
      action: 'skip',
      code: 'experiment',
    });
    expect(res.json.plan.canaryPlan.stages).toEqual([5, 25, 50, 100]);
    expect(await audit()).toEqual(before);
    expect(await canaries()).toEqual([]);
    expect((await call('GET', '/optimize')).json).toEqual({ status: null });
  });

  it('applies: creates and starts the canaries, records the plan in the audit log, reports progress', async () => {
    const { call, audit } = await setup();
    const res = await call('POST', '/optimize', { apply: true, canaryPlan: { windowMs: 60_000, warmup: { requests: 0 } } });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ applied: true, started: [{ canaryId: 'optimize-faq', intent: 'faq', status: 'pending' }] });
    const entries = await audit();
    const recorded = entries.find((e) => e.action === 'optimize-apply');
    expect(recorded?.after).toEqual(res.json.plan);
    expect((await call('GET', '/canaries/optimize-faq')).json).toMatchObject({
      baseline: 'sonnet-35-v1',
      candidate: 'haiku-35',
      weight: 0,
      status: 'running',
    });
    const controller = (await call('GET', '/canaries/optimize-faq/controller')).json;
    expect(controller).toMatchObject({ started: true, state: { status: 'pending', plan: { windowMs: 60_000 } } });
    expect(controller.decisions[0].reason).toMatch(/^started by optimize on live evidence: stages 5, 25, 50, 100%/);
    const status = (await call('GET', '/optimize')).json.status;
    expect(status).toMatchObject({ route: 'mangaassist', inProgress: ['faq'], shipped: [], rolledBack: [], realisedMonthlySavingUsd: 0 });
    expect(status.intents[0]).toMatchObject({ intent: 'faq', outcome: 'in_progress', status: 'pending', stage: 'warmup' });
    expect(status.projectedMonthlySavingUsd).toBeCloseTo(res.json.plan.projectedMonthlySavingUsd, 6);
  });

  it('never overrides: a second apply skips the intent that now has a canary and creates nothing', async () => {
    const { call, canaries } = await setup();
    expect((await call('POST', '/optimize', { apply: true })).status).toBe(200);
    const again = await call('POST', '/optimize', { apply: true });
    expect(again.status).toBe(200);
    expect(again.json.started).toEqual([]);
    const faq = again.json.plan.steps.find((s: { intent: string }) => s.intent === 'faq');
    expect(faq).toMatchObject({ action: 'skip', code: 'canary' });
    expect((await canaries()).map((c) => c.id)).toEqual(['optimize-faq']);
    // The second apply started nothing, so the progress reported is still the first plan's.
    const status = (await call('GET', '/optimize')).json.status;
    expect(status).toMatchObject({ inProgress: ['faq'] });
    expect(status.intents.map((i: { intent: string }) => i.intent)).toEqual(['faq']);
  });

  it('answers 409 and changes nothing when the configuration moved while the plan was made', async () => {
    const env = await setup(async () => {
      const created = await env.call('POST', '/canaries', {
        id: 'by-hand',
        route: 'mangaassist',
        intent: 'faq',
        baseline: 'sonnet-35-v1',
        candidate: 'sonnet-3',
        weight: 5,
      });
      expect(created.status).toBe(201);
      return report(ROWS);
    });
    const before = (await env.audit()).length;
    const res = await env.call('POST', '/optimize', { apply: true });
    expect(res.status).toBe(409);
    expect(res.json.error.message).toMatch(/"by-hand" now covers mangaassist\/faq: run optimize again/);
    expect((await env.canaries()).map((c) => c.id)).toEqual(['by-hand']);
    expect((await env.audit()).length).toBe(before + 1);
  });

  it('answers 409 when there is nothing to analyse and 503 when the analysis cannot read its store', async () => {
    const empty = await setup(async () => report([]));
    const res = await empty.call('POST', '/optimize', { apply: true });
    expect(res.status).toBe(409);
    expect(res.json.error.message).toMatch(/no live observations/);
    const down = await setup(async () => {
      throw new Error('no database at /nowhere/gateway.db');
    });
    const failed = await down.call('POST', '/optimize', {});
    expect(failed.status).toBe(503);
    expect(failed.json.error.message).toBe('analysis failed: no database at /nowhere/gateway.db');
  });

  it('refuses a bad body with 400 naming the field, and changes nothing', async () => {
    const { call, audit, canaries } = await setup();
    const before = await audit();
    const wrongType = await call('POST', '/optimize', { apply: 'yes' });
    expect(wrongType.status).toBe(400);
    expect(wrongType.json.error.issues[0].path).toBe('apply');
    const unknown = await call('POST', '/optimize', { apply: true, force: true });
    expect(unknown.status).toBe(400);
    expect(unknown.json.error.message).toMatch(/force/);
    const badPlan = await call('POST', '/optimize', { apply: true, canaryPlan: { stages: [50, 25] } });
    expect(badPlan.status).toBe(400);
    expect(badPlan.json.error.message).toMatch(/canaryPlan\.stages: stages must increase strictly/);
    expect((await call('POST', '/optimize', '{"apply": tru')).status).toBe(400);
    expect(await audit()).toEqual(before);
    expect(await canaries()).toEqual([]);
  });

  it('answers 401 without an admin token and 403 for a data-plane key', async () => {
    const { call, canaries } = await setup();
    expect((await call('POST', '/optimize', { apply: true }, null)).status).toBe(401);
    expect((await call('POST', '/optimize', { apply: true }, 'wrong-token')).status).toBe(401);
    expect((await call('POST', '/optimize', { apply: true }, DATA_KEY)).status).toBe(403);
    expect((await call('GET', '/optimize', undefined, DATA_KEY)).status).toBe(403);
    expect(await canaries()).toEqual([]);
  });

  it('is documented in the OpenAPI document', async () => {
    const { call } = await setup();
    const doc = (await call('GET', '/openapi.json', undefined, null)).json;
    expect(Object.keys(doc.paths['/admin/optimize']).sort()).toEqual(['get', 'post']);
    expect(doc.paths['/admin/optimize'].post.requestBody.content['application/json'].schema.properties.apply.type).toBe('boolean');
  });
});
