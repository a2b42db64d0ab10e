import { join } from 'node:path';
import { createCanaryController, type CanaryController } from '../admin/canary/controller.ts';
import { httpWarmup } from '../admin/canary/warmup.ts';
import { sqliteWindowSource } from '../admin/canary/window-source-sqlite.ts';
import { upstreamModelOf } from '../schema/config.ts';
import { SCENARIO_D_COLD_START } from '../simulator/app.ts';
import { sampleQuality } from '../simulator/quality.ts';
import { createRng, type Rng } from '../simulator/rng.ts';
import { sqliteConfigStore } from '../stores/config/sqlite.ts';
import { adminCall, startControlledStack } from './support/admin-stack.ts';

export const CANDIDATE_MODEL = 'anthropic.claude-3-5-sonnet-20241022-v2:0';

/** Simulator (optionally with Scenario D's cold start on the candidate) + store-driven gateway with SQLite observations. */
export async function startCanaryStack(options: { coldStart: boolean; timeScale: number }) {
  const stack = await startControlledStack({
    // Random faults off: Scenario D is about latency, and a stray fault in a small window is not its subject.
    simulator: {
      seed: 11,
      timeScale: options.timeScale,
      randomFaults: false,
      ...(options.coldStart ? { coldStart: { [CANDIDATE_MODEL]: SCENARIO_D_COLD_START } } : {}),
    },
    observations: true,
  });
  const { gateway, control, logs, dataDir, fileConfig } = stack;
  const storePath = join(dataDir, 'config.db');
  const models = new Map(fileConfig.configs.map((c) => [c.id, upstreamModelOf(c.upstream)]));
  const controllers: CanaryController[] = [];
  const stores: ReturnType<typeof sqliteConfigStore>[] = [];
  return {
    url: gateway.url,
    gateway,
    control,
    logs,
    dataDir,
    storePath,
    models,
    /** A controller of its own (own store connection, own read-only observations connection). */
    controller(holder: string, now: () => number, leaseTtlMs = 60_000): CanaryController {
      const store = sqliteConfigStore({ path: storePath });
      stores.push(store);
      const c = createCanaryController({
        store,
        windows: sqliteWindowSource(join(dataDir, 'gateway.db')),
        warmup: httpWarmup({ baseUrl: gateway.url }),
        holder,
        now,
        leaseTtlMs,
        log: (l) => logs.push(l),
      });
      controllers.push(c);
      return c;
    },
    /** The canary as the gateway currently routes it. */
    routedCanary: (id: string) => control.source.current().config.canaries.find((c) => c.id === id),
    admin: (method: string, path: string, body?: unknown) => adminCall(gateway.url, method, path, body),
    async close() {
      for (const c of controllers) await c.stop();
      for (const store of stores) await store.close();
      await stack.close();
    },
  };
}

export type CanaryStack = Awaited<ReturnType<typeof startCanaryStack>>;

/**
 * Live load on the `mangaassist` route for one intent, in sessions of 4 requests, until the candidate arm has
 * `candidateTarget` requests (or `maxRequests` went out); every answered request gets a quality_score drawn
 * from the answering model's declared quality, as a simulated user would give.
 */
export async function liveLoad(
  stack: CanaryStack,
  o: { intent: string; candidateTarget: number; maxRequests: number; concurrency: number; rng: Rng; sessionPrefix: string },
) {
  const counts = { canary: 0, baseline: 0, other: 0 };
  const events: { metric: 'quality_score'; request_id: string; value: number }[] = [];
  let sent = 0;
  const worker = async (): Promise<void> => {
    while (counts.canary < o.candidateTarget && sent < o.maxRequests) {
      const n = sent++;
      const res = await fetch(`${stack.url}/model/mangaassist/converse`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-intent': o.intent, 'x-session-id': `${o.sessionPrefix}-${Math.floor(n / 4)}` },
        body: JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'Recommend a manga like Monster' }] }] }),
      });
      await res.arrayBuffer();
      const arm = res.headers.get('x-gateway-arm');
      if (arm === 'canary' || arm === 'baseline') counts[arm]++;
      else counts.other++;
      const model = stack.models.get(res.headers.get('x-gateway-config') ?? '');
      const requestId = res.headers.get('x-gateway-request-id');
      if (res.ok && model && requestId)
        events.push({ metric: 'quality_score', request_id: requestId, value: sampleQuality(model, o.intent, o.rng) });
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  for (let i = 0; i < events.length; i += 1000) {
    const res = await fetch(`${stack.url}/v1/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ events: events.slice(i, i + 1000) }),
    });
    if (res.status !== 202) throw new Error(`feedback answered ${res.status}`);
  }
  await stack.gateway.sink.flush();
  return { sent, ...counts };
}

export { createRng };
