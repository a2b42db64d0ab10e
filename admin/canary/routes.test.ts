import { describe, expect, it } from 'vitest';
import { loadGatewayConfig } from '../../gateway/config/load.ts';
import { memoryConfigStore } from '../../stores/config/memory.ts';
import { createAdminApp } from '../app.ts';
import { seedStore } from '../mutate.ts';
import type { WebhookPayload } from './notify.ts';
import type { ResponseJson } from '../../test/support/json.ts';

const TOKEN = 'canary-routes-admin-token-0123456789';
const CANARY = { id: 'v2-canary', route: 'mangaassist', intent: 'faq', baseline: 'sonnet-35-v1', candidate: 'sonnet-35-v2', weight: 0 };

async function setup() {
  const store = memoryConfigStore();
  const seeded = await seedStore(store, loadGatewayConfig('config/mangaassist.json'), Date.now);
  if (!seeded.ok) throw new Error(seeded.message);
  const hooks: WebhookPayload[] = [];
  let clock = 1_000_000;
  const app = createAdminApp({
    store,
    tokens: [TOKEN],
    now: () => clock,
    canary: { notify: (_url, payload) => void hooks.push(payload), log: () => {} },
  });
  const call = async (method: string, path: string, body?: unknown, token: string | null = TOKEN) => {
    const res = await app.request(`/admin${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as ResponseJson) : null };
  };
  const canaryInConfig = async () => (await call('GET', `/canaries/${CANARY.id}`)).json;
  return { store, call, hooks, canaryInConfig, tick: (ms: number) => (clock += ms) };
}

describe('canary controller admin endpoints', () => {
  it('answers 404 for an unknown canary and 401 without a token', async () => {
    const { call } = await setup();
    expect((await call('GET', '/canaries/nope/controller')).status).toBe(404);
    expect((await call('POST', '/canaries/nope/pause')).status).toBe(404);
    expect((await call('POST', '/canaries/nope/start', {}, null)).status).toBe(401);
  });

  it('shows a canary never started as pending, and refuses moves before a start', async () => {
    const { call } = await setup();
    expect((await call('POST', '/canaries', CANARY)).status).toBe(201);
    const view = await call('GET', `/canaries/${CANARY.id}/controller`);
    expect(view.status).toBe(200);
    expect(view.json).toMatchObject({
      canary: CANARY,
      started: false,
      state: { status: 'pending', stageIndex: 0, stage: 'warmup', weight: 0 },
      decisions: [],
    });
    expect(view.json.state.plan.stages).toEqual([5, 25, 50, 100]);
    expect((await call('POST', `/canaries/${CANARY.id}/promote`)).status).toBe(409);
  });

  it('starts with a validated plan, moves by hand through the state machine, and audits every move', async () => {
    const { call, canaryInConfig, hooks } = await setup();
    await call('POST', '/canaries', CANARY);
    expect((await call('POST', `/canaries/${CANARY.id}/start`, { stages: [10, 5] })).status).toBe(400);
    const started = await call('POST', `/canaries/${CANARY.id}/start`, {
      windowMs: 60_000,
      webhookUrl: 'http://hooks.example/canary',
      warmup: { requests: 0 },
    });
    expect(started.status).toBe(200);
    expect(started.json.state).toMatchObject({
      status: 'pending',
      plan: { windowMs: 60_000, minSamplesPerArm: 100, gates: { qualityFloor: 0.7 } },
    });
    expect((await call('POST', `/canaries/${CANARY.id}/start`, {})).status).toBe(409);
    expect((await call('POST', `/canaries/${CANARY.id}/resume`)).status).toBe(409);

    expect((await call('POST', `/canaries/${CANARY.id}/pause`)).json.state.status).toBe('paused');
    expect((await call('POST', `/canaries/${CANARY.id}/pause`)).status).toBe(409);
    expect((await call('POST', `/canaries/${CANARY.id}/resume`)).json.state.status).toBe('pending');
    const first = await call('POST', `/canaries/${CANARY.id}/promote`);
    expect(first.json.state).toMatchObject({ status: 'running', stageIndex: 1, stage: '5%', weight: 5 });
    expect(await canaryInConfig()).toMatchObject({ weight: 5, status: 'running' });
    expect((await call('POST', `/canaries/${CANARY.id}/promote`)).json.state).toMatchObject({ stage: '25%', weight: 25 });
    expect(await canaryInConfig()).toMatchObject({ weight: 25 });

    const back = await call('POST', `/canaries/${CANARY.id}/rollback`);
    expect(back.json.state).toMatchObject({ status: 'rolled_back', weight: 0 });
    expect(await canaryInConfig()).toMatchObject({ weight: 0, status: 'stopped' });
    expect((await call('POST', `/canaries/${CANARY.id}/resume`)).status).toBe(409);
    expect((await call('POST', `/canaries/${CANARY.id}/start`, {})).status).toBe(409);

    const view = (await call('GET', `/canaries/${CANARY.id}/controller`)).json;
    expect(view.decisions.map((d: ResponseJson) => d.action)).toEqual(['start', 'pause', 'resume', 'promote', 'promote', 'rollback']);
    const actor = view.decisions[0].actor;
    expect(actor).not.toBe('controller');
    const audit = (await call('GET', '/audit?limit=1000')).json.entries.filter((e: ResponseJson) => e.resource === `canaries/${CANARY.id}`);
    expect(audit.map((e: ResponseJson) => e.action)).toEqual([
      'create',
      'canary-start',
      'canary-pause',
      'canary-resume',
      'canary-promote',
      'canary-promote',
      'canary-rollback',
    ]);
    expect(audit.every((e: ResponseJson) => e.actor === actor)).toBe(true);
    expect(hooks.map((h) => h.action)).toEqual(['start', 'pause', 'resume', 'promote', 'promote', 'rollback']);
    expect(hooks[5]).toMatchObject({ canary: CANARY.id, stage: '25%', weight: 0, reason: 'rolled back by hand', effectApplied: true });
  });

  it('records an abort through the existing endpoint as a rollback of the controller state', async () => {
    const { call, canaryInConfig } = await setup();
    await call('POST', '/canaries', CANARY);
    await call('POST', `/canaries/${CANARY.id}/start`, {});
    await call('POST', `/canaries/${CANARY.id}/promote`);
    expect((await call('POST', `/canaries/${CANARY.id}/abort`)).status).toBe(200);
    expect(await canaryInConfig()).toMatchObject({ weight: 0, status: 'stopped' });
    const view = (await call('GET', `/canaries/${CANARY.id}/controller`)).json;
    expect(view.state).toMatchObject({ status: 'rolled_back', weight: 0 });
    expect(view.decisions.at(-1)).toMatchObject({ action: 'abort', reason: 'aborted by hand' });
  });

  it('documents the endpoints in the OpenAPI document', async () => {
    const { call } = await setup();
    const doc = (await call('GET', '/openapi.json')).json;
    const paths = Object.keys(doc.paths);
    for (const p of ['controller', 'start', 'pause', 'resume', 'promote', 'rollback', 'abort'])
      expect(paths.some((x) => x.endsWith(`/canaries/{id}/${p}`))).toBe(true);
  });
});
