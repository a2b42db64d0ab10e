import { describe, expect, it } from 'vitest';
import { loadGatewayConfig } from '../gateway/config/load.ts';
import { storeConfigSource } from '../gateway/config/store-source.ts';
import { MemoryLogger } from '../lib/log/memory.ts';
import { loggedConfigStore } from '../stores/config/logged.ts';
import { memoryConfigStore } from '../stores/config/memory.ts';
import type { ResponseJson } from '../test/support/json.ts';
import { createAdminApp } from './app.ts';
import { createCanaryController } from './canary/controller.ts';
import { emptyArm } from './canary/gates.ts';
import { seedStore } from './mutate.ts';

const TOKEN = 'log-lines-admin-token-0123456789abcdef';
const CANARY = { id: 'c-log', route: 'mangaassist', intent: 'faq', baseline: 'sonnet-35-v1', candidate: 'sonnet-35-v2', weight: 0 };

/**
 * The control plane as the composition root wires it, in process: one logged store under the admin app, the
 * configuration source and the canary controller, all writing to one memory logger.
 */
async function setup() {
  const logger = new MemoryLogger();
  const store = loggedConfigStore(memoryConfigStore(), logger);
  const seeded = await seedStore(store, loadGatewayConfig('config/mangaassist.json'), Date.now);
  if (!seeded.ok) throw new Error(seeded.message);
  const source = await storeConfigSource(store, { logger });
  const app = createAdminApp({ store, tokens: [TOKEN], logger, canary: { notify: () => {}, log: () => {} } });
  const call = async (method: string, path: string, body?: unknown, token = TOKEN) => {
    const res = await app.request(`/admin${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as ResponseJson) : null };
  };
  return { logger, store, source, call };
}

describe('control-plane log lines', () => {
  it('logs every admin change once: the actor as the audit log records it, resource, action, new version', async () => {
    const { logger, call } = await setup();
    expect(logger.find('admin change')).toEqual([
      { level: 'info', msg: 'admin change', fields: { actor: 'system', action: 'seed', resource: 'config', version: 1 } },
    ]);
    expect((await call('POST', '/canaries', CANARY)).status).toBe(201);
    expect((await call('POST', '/canaries', { ...CANARY, weight: 500 })).status).toBe(400);
    const lines = logger.find('admin change');
    expect(lines).toHaveLength(2);
    const audit = (await call('GET', '/audit')).json.entries.at(-1);
    expect(lines[1]!.fields).toEqual({ actor: audit.actor, action: audit.action, resource: `canaries/${CANARY.id}`, version: 2 });
    expect(audit.actor).not.toBe('system');
  });

  it('logs reloads with their version, and auth turning on and off through keys created and revoked', async () => {
    const { logger, source, call } = await setup();
    expect(source.keys.enabled()).toBe(false);
    const created = await call('POST', '/api-keys', { name: 'chatbot' });
    expect(created.status).toBe(201);
    await source.poll();
    expect(source.keys.enabled()).toBe(true);
    expect(logger.find('configuration reloaded').map((e) => e.fields)).toEqual([{ version: 2 }]);
    const on = logger.entries.filter((e) => e.msg.startsWith('data-plane auth is ON'));
    expect(on).toHaveLength(1);
    expect(on[0]!.fields).toEqual({ envKeys: 0, storeKeys: 1 });

    await source.poll(); // nothing changed: no line
    expect(logger.find('configuration reloaded')).toHaveLength(1);
    expect((await call('DELETE', `/api-keys/${created.json.id}`)).status).toBe(200);
    await source.poll();
    expect(logger.find('configuration reloaded').map((e) => e.fields)).toEqual([{ version: 2 }, { version: 3 }]);
    const off = logger.entries.filter((e) => e.msg.startsWith('data-plane auth is OFF'));
    expect(off.map((e) => e.level)).toEqual(['warn']);
  });

  it('logs canary decisions made by hand and by the controller (canary, action, reason)', async () => {
    const { logger, store, call } = await setup();
    await call('POST', '/canaries', CANARY);
    expect((await call('POST', `/canaries/${CANARY.id}/start`, { warmup: { requests: 0 } })).status).toBe(200);
    expect((await call('POST', `/canaries/${CANARY.id}/pause`)).status).toBe(200);
    expect((await call('POST', `/canaries/${CANARY.id}/resume`)).status).toBe(200);
    const windows = {
      figures: async () => ({ ok: true as const, value: { candidate: emptyArm(), baseline: emptyArm() } }),
      close: async () => {},
    };
    const controller = createCanaryController({ store, windows, holder: 'replica-log', log: () => {}, logger });
    expect((await controller.tick()).transitions).toEqual([{ canary: CANARY.id, action: 'warmup' }]);
    await controller.stop();
    const decisions = logger.find('canary decision');
    expect(decisions.map((d) => d.fields.action)).toEqual(['start', 'pause', 'resume', 'warmup']);
    expect(decisions.every((d) => d.fields.canary === CANARY.id && typeof d.fields.reason === 'string')).toBe(true);
    expect(decisions[3]!.fields).toMatchObject({ actor: 'controller', stage: '5%', weight: 5 });
    // The controller's configuration change is an admin change too, under its own actor.
    expect(logger.find('admin change').at(-1)!.fields).toMatchObject({ actor: 'canary-controller', resource: `canaries/${CANARY.id}` });
  });

  it('never logs the admin token, a bearer header or a data-plane key, though all were used', async () => {
    const { logger, source, call } = await setup();
    const created = await call('POST', '/api-keys', { name: 'chatbot' });
    await source.poll();
    expect(await source.keys.isValid(created.json.key)).toBe(true);
    expect((await call('GET', '/config', undefined, created.json.key)).status).toBe(403);
    expect((await call('GET', '/config', undefined, 'not-the-admin-token-0123456789')).status).toBe(401);
    await call('DELETE', `/api-keys/${created.json.id}`);
    await source.poll();
    expect(logger.find('admin change').length).toBeGreaterThanOrEqual(3);
    const text = logger.text();
    for (const secret of [TOKEN, `Bearer ${TOKEN}`, created.json.key, 'not-the-admin-token-0123456789']) expect(text).not.toContain(secret);
  });
});
