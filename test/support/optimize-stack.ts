import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCanaryController, type CanaryController } from '../../admin/canary/controller.ts';
import { sqliteWindowSource } from '../../admin/canary/window-source-sqlite.ts';
import { upstreamModelOf } from '../../schema/config.ts';
import { parseProfiles, type ProfileSet } from '../../simulator/profiles.ts';
import { sampleQuality } from '../../simulator/quality.ts';
import type { Rng } from '../../simulator/rng.ts';
import { sqliteConfigStore } from '../../stores/config/sqlite.ts';
import { adminCall, startControlledStack } from './admin-stack.ts';
import { tempDir } from './gateway.ts';

/**
 * The custom endpoint's profile under another model id, failing about `failureRate` of its calls (server errors,
 * and throttles beyond the profile's 50% cap on one rate): a candidate made worse on purpose.
 */
export const FLAKY_MODEL = 'sagemaker-custom-flaky';

/** The bundled simulator profiles, the custom endpoint without its cold start, plus the flaky copy of it. */
export function optimizeProfiles(failureRate: number): ProfileSet {
  const file = JSON.parse(readFileSync(new URL('../../simulator/profiles.json', import.meta.url), 'utf8'));
  const custom = file.models['sagemaker-custom-endpoint'];
  custom.coldStart = { calls: 0, slowdown: 1 };
  file.models[FLAKY_MODEL] = {
    ...structuredClone(custom),
    name: 'Custom endpoint, flaky deployment',
    rates: { ...custom.rates, error: Math.min(0.5, failureRate), throttle: Math.max(custom.rates.throttle, failureRate - 0.5) },
  };
  return parseProfiles(file);
}

/** Simulator with `profiles` (random faults on), a store-driven gateway with SQLite observations, and a controller of its own. */
export async function startOptimizeStack(profiles: ProfileSet, timeScale: number) {
  const reportsDir = tempDir('optimize-reports-');
  const stack = await startControlledStack({ simulator: { seed: 19, timeScale, profiles }, observations: true, reportsDir });
  const admin = (method: string, path: string, body?: unknown) => adminCall(stack.url, method, path, body);
  const store = sqliteConfigStore({ path: join(stack.dataDir, 'config.db') });
  let controller: CanaryController | null = null;
  return {
    ...stack,
    admin,
    /** The configuration the gateway routes by now. */
    routed: () => stack.control.source.current().config,
    /** A controller over the stack's config store and observations (no warm-up runner: plans here skip it). */
    controller(): CanaryController {
      controller ??= createCanaryController({
        store,
        windows: sqliteWindowSource(join(stack.dataDir, 'gateway.db')),
        holder: 'optimize-test',
        leaseTtlMs: 60_000,
        log: (l) => stack.logs.push(l),
      });
      return controller;
    },
    async close() {
      await controller?.stop();
      await store.close();
      await stack.close();
    },
  };
}

export type OptimizeStack = Awaited<ReturnType<typeof startOptimizeStack>>;

/**
 * Live chat traffic on the `mangaassist` route for one intent in sessions of two requests, until `until` holds of
 * the answers' arms or `maxRequests` went out; each answered request gets a quality score drawn from the
 * answering model's profile, as a simulated user would give. Returns the count per arm.
 */
export async function chatLoad(
  stack: OptimizeStack,
  profiles: ProfileSet,
  o: { intent: string; sessionPrefix: string; maxRequests: number; until: (arms: Record<string, number>) => boolean; rng: Rng },
): Promise<Record<string, number>> {
  const config = stack.routed();
  const models = new Map(config.configs.map((c) => [c.id, upstreamModelOf(c.upstream)]));
  const arms: Record<string, number> = {};
  const events: { metric: 'quality_score'; request_id: string; value: number }[] = [];
  let sent = 0;
  const worker = async (): Promise<void> => {
    while (sent < o.maxRequests && !o.until(arms)) {
      const n = sent++;
      const res = await fetch(`${stack.url}/model/mangaassist/converse`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-intent': o.intent, 'x-session-id': `${o.sessionPrefix}-${Math.floor(n / 2)}` },
        body: JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'Where is my order of Monster volume 3?' }] }] }),
      });
      await res.arrayBuffer();
      const arm = res.headers.get('x-gateway-arm') ?? 'none';
      arms[arm] = (arms[arm] ?? 0) + 1;
      const model = models.get(res.headers.get('x-gateway-config') ?? '');
      const requestId = res.headers.get('x-gateway-request-id');
      if (res.ok && model && requestId)
        events.push({ metric: 'quality_score', request_id: requestId, value: sampleQuality(model, o.intent, o.rng, profiles) });
    }
  };
  await Promise.all(Array.from({ length: 12 }, worker));
  const res = await fetch(`${stack.url}/v1/feedback`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ events }),
  });
  if (res.status !== 202) throw new Error(`feedback answered ${res.status}`);
  await stack.gateway.sink.flush();
  return arms;
}
