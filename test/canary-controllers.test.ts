import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createAdminApp } from '../admin/app.ts';
import { createCanaryController, type CanaryController } from '../admin/canary/controller.ts';
import { canaryMetrics } from '../admin/canary/metrics.ts';
import { readDecisions, readState } from '../admin/canary/records.ts';
import { MANGAASSIST_WINDOW, seededRandom, simulateWindow } from '../admin/canary/traffic-model.ts';
import type { WindowSource } from '../admin/canary/window-source.ts';
import { seedStore } from '../admin/mutate.ts';
import { loadGatewayConfig } from '../gateway/config/load.ts';
import { sqliteConfigStore } from '../stores/config/sqlite.ts';
import { startCanaryStack, type CanaryStack } from './canary-stack.ts';
import { waitFor } from './support/admin-stack.ts';
import { tempDir } from './support/gateway.ts';

const TOKEN = 'canary-controllers-admin-token-0123456789';
const CANARY = { id: 'v2-canary', route: 'mangaassist', intent: 'faq', baseline: 'sonnet-35-v1', candidate: 'sonnet-35-v2', weight: 0 };

let stack: CanaryStack | null = null;
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  await stack?.close();
  stack = null;
});

describe('canary controller without traffic (gateway + simulator, injected clock)', () => {
  it('holds window after window, never promotes, and pauses at the inconclusive time-out', async () => {
    stack = await startCanaryStack({ coldStart: false, timeScale: 0 });
    const s = stack;
    let offset = 0;
    const controller = s.controller('replica-a', () => Date.now() + offset);
    const registry = new Registry();
    const metrics = canaryMetrics();
    metrics.register(registry);
    const metricsStore = sqliteConfigStore({ path: s.storePath });
    const withMetrics = createCanaryController({
      store: metricsStore,
      windows: emptyWindows(),
      holder: 'replica-a',
      now: () => Date.now() + offset,
      metrics,
    });
    stops.push(async () => {
      await withMetrics.stop();
      await metricsStore.close();
    });
    expect((await s.admin('POST', '/canaries', CANARY)).status).toBe(201);
    const windowMs = 1_800_000;
    expect(
      (await s.admin('POST', `/canaries/${CANARY.id}/start`, { warmup: { requests: 0 }, inconclusiveTimeoutMs: 4 * windowMs })).status,
    ).toBe(200);
    expect((await controller.tick()).transitions).toEqual([{ canary: CANARY.id, action: 'warmup' }]);
    const actions: string[] = [];
    for (let w = 1; w <= 6; w++) {
      offset += windowMs;
      actions.push(...(await controller.tick()).transitions.map((t) => t.action));
    }
    expect(actions).toEqual(['hold', 'hold', 'hold', 'timeout']);
    const view = (await s.admin('GET', `/canaries/${CANARY.id}/controller`)).json;
    expect(view.state).toMatchObject({ status: 'paused', stage: '5%', weight: 5 });
    expect(view.decisions[2]).toMatchObject({
      action: 'hold',
      actor: 'controller',
      figures: { candidate: { requests: 0 }, baseline: { requests: 0 } },
    });
    expect(view.decisions[2].reason).toMatch(/too few live requests/);
    expect(view.decisions.some((d: { action: string }) => d.action === 'promote')).toBe(false);
    await waitFor(async () => s.routedCanary(CANARY.id)?.weight === 5, 10_000, 'weight 5 at the gateway');
    expect(s.routedCanary(CANARY.id)).toMatchObject({ weight: 5, status: 'running' });

    await controller.stop();
    await withMetrics.tick();
    const text = await registry.metrics();
    expect(text).toContain(`gateway_canary_stage{canary="${CANARY.id}"} 1`);
    expect(text).toContain(`gateway_canary_weight_percent{canary="${CANARY.id}"} 5`);
  });
});

/** A window source with no traffic at all. */
function emptyWindows(): WindowSource {
  return {
    figures: async () => ({ ok: true, value: simulateWindow({ ...MANGAASSIST_WINDOW, requestsPerWindow: 0 }, 5, seededRandom(1)) }),
    close: async () => {},
  };
}

/** Healthy MangaAssist-like windows at whatever weight the canary has. */
function healthyWindows(storePath: string): WindowSource {
  const store = sqliteConfigStore({ path: storePath });
  const rng = seededRandom(9);
  return {
    figures: async (q) => {
      const read = await readState(store, q.canaryId);
      const weight = read.ok && read.value ? read.value.state.weight : 0;
      return { ok: true, value: simulateWindow(MANGAASSIST_WINDOW, weight, rng) };
    },
    close: () => store.close(),
  };
}

describe('two canary controllers sharing one SQLite config store', () => {
  it('lets only the lease holder act, and the other take over once the lease expires', async () => {
    const path = join(tempDir('gw-canary-lease-'), 'config.db');
    const adminStore = sqliteConfigStore({ path });
    stops.push(() => adminStore.close());
    expect((await seedStore(adminStore, loadGatewayConfig('config/mangaassist.json'), Date.now)).ok).toBe(true);
    let now = 1_000_000;
    const admin = createAdminApp({ store: adminStore, tokens: [TOKEN], now: () => now });
    const post = (p: string, body: unknown) =>
      admin.request(`/admin${p}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await post('/canaries', CANARY)).status).toBe(201);
    expect((await post(`/canaries/${CANARY.id}/start`, { warmup: { requests: 0 }, windowMs: 60_000 })).status).toBe(200);

    const make = (holder: string): CanaryController => {
      const store = sqliteConfigStore({ path });
      const c = createCanaryController({ store, windows: healthyWindows(path), holder, now: () => now, leaseTtlMs: 300_000 });
      stops.push(async () => {
        await c.stop();
        await store.close();
      });
      return c;
    };
    const a = make('replica-a');
    const b = make('replica-b');
    const actedBy: string[] = [];
    const round = async (who: CanaryController[]): Promise<void> => {
      const reports = await Promise.all(who.map((c) => c.tick()));
      reports.forEach((r, i) => {
        if (r.transitions.length) actedBy.push(`${who[i]!.holder}:${r.transitions.map((t) => t.action).join(',')}`);
      });
      expect(reports.filter((r) => r.acting).length).toBeLessThanOrEqual(1);
    };

    await round([a, b]);
    now += 60_000;
    await round([b, a]);
    expect(actedBy).toEqual(['replica-a:warmup', 'replica-a:promote']);

    // replica-a goes silent without releasing (a crash): replica-b waits for the lease to expire.
    now += 60_000;
    await round([b]);
    expect(actedBy).toHaveLength(2);
    now += 300_000;
    await round([b]);
    expect(actedBy.at(-1)).toBe('replica-b:promote');
    await round([a, b]);
    expect(actedBy).toHaveLength(3);

    const decisions = await readDecisions(adminStore, CANARY.id);
    expect(decisions.ok && decisions.value.map((d) => d.action)).toEqual(['start', 'warmup', 'promote', 'promote']);
    const audit = await adminStore.audit({ limit: 1000 });
    const byController = audit.ok ? audit.value.filter((e) => e.actor === 'canary-controller').map((e) => e.action) : [];
    expect(byController).toEqual(['canary-warmup', 'canary-promote', 'canary-promote']);

    // A clean stop releases the lease at once.
    await b.stop();
    expect((await a.tick()).acting).toBe(true);
  });
});
