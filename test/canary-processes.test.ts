import { afterAll, describe, expect, it } from 'vitest';
import { adminCall, waitFor } from './support/admin-stack.ts';
import { ADMIN_TOKEN } from './support/admin-fixtures.ts';
import { spawnGateway, stopProcess, tempDir } from './support/gateway.ts';

type Gateway = Awaited<ReturnType<typeof spawnGateway>>;
const running: Gateway[] = [];
afterAll(async () => {
  await Promise.all(running.map((g) => stopProcess(g.child)));
});

const CANARY = { id: 'v2-canary', route: 'mangaassist', intent: 'faq', baseline: 'sonnet-35-v1', candidate: 'sonnet-35-v2', weight: 0 };

describe('canary controllers in two gateway processes sharing one data directory (npm start entry point)', () => {
  it('lets one process act while both run, and the other take over when it stops', { timeout: 45_000 }, async () => {
    const dataDir = tempDir('gw-canary-procs-');
    const env = (replica: string) => ({
      DATA_DIR: dataDir,
      ADMIN_TOKEN,
      CANARY_REPLICA_ID: replica,
      SIM_TIME_SCALE: '0',
      CONFIG_POLL_MS: '100',
    });
    const p1 = await spawnGateway(env('proc-1'));
    running.push(p1);
    const p2 = await spawnGateway(env('proc-2'));
    running.push(p2);
    expect(p1.output()).toContain('canary controller: on (replica proc-1');

    expect((await adminCall(p2.url, 'POST', '/canaries', CANARY)).status).toBe(201);
    // No traffic and one-second windows: the holder records a hold every window.
    expect((await adminCall(p2.url, 'POST', `/canaries/${CANARY.id}/start`, { warmup: { requests: 0 }, windowMs: 1_000 })).status).toBe(
      200,
    );
    let ask = p1.url;
    const decisions = async (): Promise<{ action: string; at: number }[]> =>
      (await adminCall(ask, 'GET', `/canaries/${CANARY.id}/controller`)).json.decisions;
    await waitFor(async () => (await decisions()).filter((d) => d.action === 'hold').length >= 2, 10_000, 'two holds');

    const took = (g: Gateway) => g.output().includes(`canary controller ${g === p1 ? 'proc-1' : 'proc-2'}: took the lease`);
    expect([took(p1), took(p2)].filter(Boolean)).toHaveLength(1);
    const [holder, other] = took(p1) ? [p1, p2] : [p2, p1];
    expect(other.output()).toMatch(/canary controller proc-\d: lease held by proc-\d/);
    ask = other.url;
    const holdsBefore = (await decisions()).filter((d) => d.action === 'hold').length;
    const version = (await adminCall(other.url, 'GET', '/config')).json.version;

    await stopProcess(holder.child);
    running.splice(running.indexOf(holder), 1);
    await waitFor(async () => took(other), 10_000, 'the other process to take the lease');
    await waitFor(
      async () => (await decisions()).filter((d) => d.action === 'hold').length > holdsBefore + 1,
      10_000,
      'holds by the new holder',
    );
    const all = await decisions();
    expect(all.map((d) => d.action).slice(0, 2)).toEqual(['start', 'warmup']);
    expect(all.every((d) => ['start', 'warmup', 'hold'].includes(d.action))).toBe(true);
    const metrics = await (await fetch(`${other.url}/metrics`)).text();
    expect(metrics).toContain(`gateway_canary_stage{canary="${CANARY.id}"} 1`);
    expect(metrics).toContain(`gateway_canary_weight_percent{canary="${CANARY.id}"} 5`);
    // Holds are controller records: they never move the routing configuration's version.
    expect((await adminCall(other.url, 'GET', '/config')).json.version).toBe(version);
  });
});
