import { describe, expect, it } from 'vitest';
import { loadGatewayConfig } from '../../gateway/config/load.ts';
import { fail, type ConfigStoreWithRecords } from '../../stores/config/interface.ts';
import { memoryConfigStore } from '../../stores/config/memory.ts';
import { createAdminApp } from '../app.ts';
import { seedStore } from '../mutate.ts';
import { createCanaryController, type CanaryControllerOptions } from './controller.ts';
import { emptyArm } from './gates.ts';
import type { WebhookPayload } from './notify.ts';
import { readDecisions, readState } from './records.ts';
import type { WarmupRunner } from './warmup.ts';
import type { WindowSource } from './window-source.ts';
import type { ResponseJson } from '../../test/support/json.ts';

const TOKEN = 'canary-controller-unit-token-0123456789';
const C1 = { id: 'c1', route: 'mangaassist', intent: 'faq', baseline: 'sonnet-35-v1', candidate: 'sonnet-35-v2', weight: 0 };
const NO_TRAFFIC: WindowSource = {
  figures: async () => ({ ok: true, value: { candidate: emptyArm(), baseline: emptyArm() } }),
  close: async () => {},
};

/** A memory store seeded with the MangaAssist configuration, its admin API and a controller factory on one clock. */
async function setup() {
  const store = memoryConfigStore();
  const seeded = await seedStore(store, loadGatewayConfig('config/mangaassist.json'), Date.now);
  if (!seeded.ok) throw new Error(seeded.message);
  let clock = 1_000_000;
  const now = () => clock;
  const app = createAdminApp({ store, tokens: [TOKEN], now, canary: { notify: () => {}, log: () => {} } });
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await app.request(`/admin${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as ResponseJson) : null };
  };
  const controller = (o: Partial<CanaryControllerOptions> = {}) =>
    createCanaryController({ store, windows: NO_TRAFFIC, holder: 'replica-a', now, log: () => {}, ...o });
  const canary = async (id: string) => (await call('GET', `/canaries/${id}`)).json;
  const actions = async (id: string) => {
    const d = await readDecisions(store, id);
    return d.ok ? d.value.map((x) => x.action) : [];
  };
  return { store, call, controller, canary, actions, advance: (ms: number) => (clock += ms) };
}

describe('canary controller: a reused canary id', () => {
  it('does not replay the state of an earlier canary with the same id', async () => {
    const s = await setup();
    expect((await s.call('POST', '/canaries', C1)).status).toBe(201);
    expect((await s.call('POST', '/canaries/c1/start', { warmup: { requests: 0 } })).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await s.call('POST', '/canaries/c1/promote')).status).toBe(200);
    expect((await s.call('GET', '/canaries/c1/controller')).json.state.status).toBe('completed');
    expect((await s.call('DELETE', '/canaries/c1')).status).toBeLessThan(300);

    const reused = { ...C1, baseline: 'sonnet-35-v2', candidate: 'haiku-35', weight: 5, status: 'running' };
    expect((await s.call('POST', '/canaries', reused)).status).toBe(201);
    const controller = s.controller();
    expect((await controller.tick()).transitions).toEqual([]);
    expect(await s.canary('c1')).toMatchObject({ weight: 5, status: 'running', candidate: 'haiku-35' });
    const route = (await s.call('GET', '/config')).json.config.routes.find((r: { name: string }) => r.name === 'mangaassist');
    expect(route.table.faq).toBe('sonnet-35-v2');

    const view = (await s.call('GET', '/canaries/c1/controller')).json;
    expect(view).toMatchObject({ started: false, state: { status: 'pending', stage: 'warmup', weight: 5 }, decisions: [] });
    const pause = await s.call('POST', '/canaries/c1/pause');
    expect(pause.status).toBe(409);
    expect(JSON.stringify(pause.json)).toMatch(/never started/);

    const started = await s.call('POST', '/canaries/c1/start', { warmup: { requests: 0 } });
    expect(started.status).toBe(200);
    expect(started.json.state).toMatchObject({
      status: 'pending',
      subject: { route: 'mangaassist', intent: 'faq', baseline: 'sonnet-35-v2', candidate: 'haiku-35' },
    });
    expect((await controller.tick()).transitions).toEqual([{ canary: 'c1', action: 'warmup' }]);
    expect(await s.canary('c1')).toMatchObject({ weight: 5, status: 'running' });
    expect((await s.call('GET', '/canaries/c1/controller')).json).toMatchObject({
      started: true,
      state: { status: 'running', stage: '5%' },
    });
    await controller.stop();
  });
});

describe('canary controller: warm-up', () => {
  it('pauses instead of going live when too many warm-up requests failed', async () => {
    const s = await setup();
    await s.call('POST', '/canaries', C1);
    await s.call('POST', '/canaries/c1/start', {});
    const warmup: WarmupRunner = async (_c, plan) => ({ sent: plan.requests, failed: plan.requests, p95LatencyMs: null });
    const controller = s.controller({ warmup });
    expect((await controller.tick()).transitions).toEqual([{ canary: 'c1', action: 'pause' }]);
    const view = (await s.call('GET', '/canaries/c1/controller')).json;
    expect(view.state).toMatchObject({ status: 'paused', stageIndex: 0, stage: 'warmup', weight: 0 });
    expect(view.decisions.at(-1).reason).toMatch(
      /warm-up failed: 500 synthetic requests to sonnet-35-v2 \(500 failed.*100\.0% failed, above warmup\.maxFailedShare 5\.0%/,
    );
    expect(await s.canary('c1')).toMatchObject({ weight: 0 });
    await controller.stop();
  });

  it('goes live when the failed share is within warmup.maxFailedShare', async () => {
    const s = await setup();
    await s.call('POST', '/canaries', C1);
    await s.call('POST', '/canaries/c1/start', { warmup: { requests: 100, maxFailedShare: 0.1 } });
    const controller = s.controller({ warmup: async (_c, plan) => ({ sent: plan.requests, failed: 10, p95LatencyMs: 900 }) });
    expect((await controller.tick()).transitions).toEqual([{ canary: 'c1', action: 'warmup' }]);
    expect(await s.canary('c1')).toMatchObject({ weight: 5, status: 'running' });
    await controller.stop();
  });

  it('aborts a warm-up under way on stop, records nothing for it, and the next holder runs it again', async () => {
    const s = await setup();
    await s.call('POST', '/canaries', C1);
    await s.call('POST', '/canaries/c1/start', {});
    let calls = 0;
    // Like the HTTP runner during a drain: every request fails once the stop aborts it.
    const hanging: WarmupRunner = (_c, plan, signal) => {
      calls++;
      return new Promise((resolve) =>
        signal?.addEventListener('abort', () => resolve({ sent: plan.requests, failed: plan.requests, p95LatencyMs: null })),
      );
    };
    const a = s.controller({ warmup: hanging });
    const tick = a.tick();
    await expect.poll(() => calls).toBe(1);
    await a.stop();
    expect((await tick).transitions).toEqual([]);
    expect(await s.actions('c1')).toEqual(['start']);
    const stored = await readState(s.store, 'c1');
    expect(stored.ok && stored.value?.state.status).toBe('warming');
    expect(await s.canary('c1')).toMatchObject({ weight: 0 });

    const b = s.controller({ holder: 'replica-b', warmup: async (_c, plan) => ({ sent: plan.requests, failed: 0, p95LatencyMs: 800 }) });
    expect((await b.tick()).transitions).toEqual([{ canary: 'c1', action: 'warmup' }]);
    expect(await s.actions('c1')).toEqual(['start', 'warmup']);
    await b.stop();
    await b.stop();
  });
});

describe('canary controller: webhook', () => {
  it('tells the receiver whether the configuration change was applied', async () => {
    const s = await setup();
    await s.call('POST', '/canaries', C1);
    await s.call('POST', '/canaries/c1/start', { warmup: { requests: 0 }, webhookUrl: 'http://hooks.example/canary' });
    const hooks: WebhookPayload[] = [];
    const notify = async (_url: string, payload: WebhookPayload) => void hooks.push(payload);
    const down: ConfigStoreWithRecords = { ...s.store, commit: async () => fail('unavailable', 'config store down') };
    const broken = s.controller({ store: down, notify });
    expect((await broken.tick()).transitions).toEqual([{ canary: 'c1', action: 'warmup' }]);
    await broken.stop();
    expect(hooks).toHaveLength(1);
    expect(hooks[0]).toMatchObject({ canary: 'c1', action: 'warmup', weight: 5, effectApplied: false });
    expect(await s.canary('c1')).toMatchObject({ weight: 0 });

    // The store is back: the next tick reconciles the weight, then the empty stage times out (no change needed).
    const healthy = s.controller({ notify });
    s.advance(7_200_000);
    expect((await healthy.tick()).transitions).toEqual([{ canary: 'c1', action: 'timeout' }]);
    await healthy.stop();
    expect(await s.canary('c1')).toMatchObject({ weight: 5 });
    expect(hooks.at(-1)).toMatchObject({ action: 'timeout', effectApplied: true });
  });
});
