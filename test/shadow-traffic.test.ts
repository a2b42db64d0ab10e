import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runAnalysis } from '../analysis/report/build.ts';
import { renderMarkdown } from '../analysis/report/markdown.ts';
import { DEFAULT_DATASET, readDataset, type GoldenCase } from '../analysis/eval/dataset.ts';
import { buildPrompt } from '../analysis/eval/prompt.ts';
import { sqliteAnalysisSource } from '../analysis/queries/sqlite-source.ts';
import { AnalysisSettings } from '../analysis/settings.ts';
import { loadGatewayConfig } from '../gateway/config/load.ts';
import { GatewayConfig } from '../schema/config.ts';
import { openDatabase } from '../stores/sqlite/database.ts';
import { readObservations } from '../stores/observations/sqlite.ts';
import { startStack } from './support/gateway.ts';

// Both intents answer live with sonnet-35-v1; the candidate, sonnet-35-v2, answers no live request, so the simulator
// (keyed per model and per-model call index) draws the live answers identically with or without shadow calls.
const CASES: GoldenCase[] = readDataset(DEFAULT_DATASET)
  .filter((c) => c.intent === 'recommendation' || c.intent === 'faq')
  .filter((_, i) => i % 40 === 0);

function configWith(share: number | null): GatewayConfig {
  const base = loadGatewayConfig('config/mangaassist.json');
  const routes = base.routes.map((r) => (share === null ? r : { ...r, shadow: { '*': { config: 'sonnet-35-v2', share } } }));
  return GatewayConfig.parse({ ...base, routes });
}

/** The same requests in the same order; the answer bodies as bytes (base64) and the request ids. */
async function traffic(url: string): Promise<{ bodies: string[]; ids: string[] }> {
  const bodies: string[] = [];
  const ids: string[] = [];
  for (const [i, c] of CASES.entries()) {
    const prompt = buildPrompt(c);
    const operation = i % 2 ? 'converse-stream' : 'converse';
    const res = await fetch(`${url}/model/mangaassist/${operation}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        system: [{ text: prompt.system }],
        messages: [{ role: 'user', content: [{ text: prompt.user }] }],
        requestMetadata: { intent: c.intent, session_id: `shadow-session-${i}` },
      }),
    });
    expect(res.status).toBe(200);
    bodies.push(Buffer.from(await res.arrayBuffer()).toString('base64'));
    ids.push(res.headers.get('x-gateway-request-id')!);
  }
  return { bodies, ids };
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

describe('shadow traffic end to end', () => {
  it('leaves the client answers byte for byte as without it, records shadow observations and shows the paired comparison', async () => {
    expect(CASES.length).toBeGreaterThanOrEqual(8);
    const off = await startStack({ config: configWith(null) });
    close = off.close;
    const without = await traffic(off.url);
    await off.close();

    const on = await startStack({ config: configWith(100), durable: true });
    close = on.close;
    const withShadow = await traffic(on.url);
    expect(withShadow.bodies).toEqual(without.bodies);

    await until(() => on.gateway.shadowAnswers.list().length === CASES.length, 'every shadow answer');
    const metrics = await (await fetch(`${on.url}/metrics`)).text();
    expect(metrics).toContain(`gateway_shadow_requests_total{outcome="sent"} ${CASES.length}`);
    expect(metrics).not.toContain('outcome="failed"');
    await on.close();
    close = undefined;

    const db = openDatabase(join(on.dataDir!, 'gateway.db'));
    try {
      const rows = readObservations(db);
      const live = rows.filter((o) => o.traffic === 'live');
      const shadow = rows.filter((o) => o.traffic === 'shadow');
      expect(live.map((o) => o.requestId)).toEqual(withShadow.ids);
      expect(shadow).toHaveLength(CASES.length);
      for (const s of shadow) {
        const of = live.find((o) => o.requestId === s.shadowOf)!;
        expect(of).toBeDefined();
        expect(s).toMatchObject({
          configId: 'sonnet-35-v2',
          sessionId: of.sessionId,
          intent: of.intent,
          route: 'mangaassist',
          status: 200,
        });
        expect(s).toMatchObject({ experimentId: null, canaryId: null, operation: of.operation });
        expect(of.shadowOf ?? null).toBeNull();
      }

      const report = await runAnalysis({
        source: sqliteAnalysisSource(db),
        config: configWith(100),
        settings: AnalysisSettings.parse({}),
        goldenCases: CASES,
      });
      // Shadow rows stay out of the live statistics.
      expect(report.liveRequests).toBe(CASES.length);
      expect(report.intents.map((r) => r.configId)).not.toContain('sonnet-35-v2');
      expect(report.shadow.map((s) => s.intent).sort()).toEqual(['faq', 'recommendation']);
      for (const s of report.shadow) {
        expect(s).toMatchObject({ route: 'mangaassist', live: { configId: 'sonnet-35-v1' }, shadow: { configId: 'sonnet-35-v2' } });
        expect(s.scored).toBe(s.pairs);
        expect(s.quality?.n).toBe(s.pairs);
        expect(s.live.meanQuality).toBeGreaterThan(0);
        expect(s.shadow.meanQuality).toBeGreaterThan(0);
        expect(s.latencyMs?.n).toBe(s.pairs);
        expect(s.costUsd?.n).toBe(s.pairs);
      }
      const markdown = renderMarkdown(report);
      expect(markdown).toContain('## Shadow candidates');
      expect(markdown).toMatch(/\| mangaassist \| faq \| sonnet-35-v1 \| sonnet-35-v2 \|/);
    } finally {
      db.close();
    }
  }, 60_000);
});
