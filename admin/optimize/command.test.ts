import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recommendRoute } from '../../analysis/recommend.ts';
import { AnalysisSettings } from '../../analysis/settings.ts';
import { listenDual, type DualServer } from '../../lib/node/listen.ts';
import { loadGatewayConfig } from '../../stores/config/file.ts';
import { memoryConfigStore } from '../../stores/config/memory.ts';
import { demoReport, intentRow } from '../../test/support/choice-fixtures.ts';
import { createAdminApp } from '../app.ts';
import { seedStore } from '../mutate.ts';
import { runOptimize } from './command.ts';

const TOKEN = 'optimize-cli-admin-token-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'optimize-cli-'));
let server: DualServer;

beforeAll(async () => {
  const store = memoryConfigStore();
  const config = loadGatewayConfig('config/mangaassist.json');
  const seeded = await seedStore(store, config, Date.now);
  if (!seeded.ok) throw new Error(seeded.message);
  const figures = (cost: number) => ({ requests: 100, scored: 100, quality: 0.86, passRate: 0.92, cost, costSd: cost / 10, p95: 1200 });
  const rows = [intentRow('faq', 'sonnet-35-v1', figures(0.004)), intentRow('faq', 'haiku-35', figures(0.0012))];
  const recommendation = recommendRoute(rows, config.routes[0]!, { faq: 1 }, AnalysisSettings.parse({}));
  const app = createAdminApp({
    store,
    tokens: [TOKEN],
    canary: { log: () => {} },
    optimize: { analyse: async () => ({ ...demoReport(), intents: rows, recommendation }), offline: async () => null },
  });
  server = await listenDual(app.fetch, { port: 0, host: '127.0.0.1' });
});
afterAll(async () => server?.close());

async function run(args: string[], env: Record<string, string> = { ADMIN_URL: server.url, ADMIN_TOKEN: TOKEN }) {
  const lines: string[] = [];
  const code = await runOptimize(args, env, (l) => lines.push(l));
  return { code, text: lines.join('\n') };
}

describe('npm run optimize', () => {
  it('prints the plan as text by default and changes nothing; --status says no plan was applied', async () => {
    const dry = await run([]);
    expect(dry.code).toBe(0);
    expect(dry.text).toMatch(/^optimize plan for route mangaassist \(dry run: nothing changed; --apply to start the canaries\)/);
    expect(dry.text).toMatch(
      /decision rules: >= 30 scored requests per configuration, pass rate >= 80.0% at quality >= 0.75, P95 <= 3000 ms/,
    );
    expect(dry.text).toMatch(/faq: canary optimize-faq sonnet-35-v1 -> haiku-35, saving \$84000.00\/month \(live costs\)/);
    expect(dry.text).toMatch(/start rests on: live; promotion rests on: live canary gates/);
    expect(dry.text).toMatch(/recommendation: keep sonnet-35-v1 \[experiment\]/);
    expect(dry.text).toMatch(/1 canary proposed; projected saving \$84000.00\/month/);
    expect((await run(['--status'])).text).toMatch(/no optimize plan was applied on this config store yet/);
  });

  it('exits 1 with the API error when the gateway refuses, and changes nothing', async () => {
    const plan = join(dir, 'bad-plan.json');
    writeFileSync(plan, JSON.stringify({ stages: [50, 5] }));
    const refused = await run(['--apply', '--canary-plan', plan]);
    expect(refused.code).toBe(1);
    expect(refused.text).toMatch(/^optimize: 400: .*canaryPlan\.stages: stages must increase strictly/);
    expect((await run(['--status'])).text).toMatch(/no optimize plan was applied/);
  });

  it('exits 2 naming the problem for bad arguments, environment, token or plan file', async () => {
    expect(await run(['--bogus'])).toMatchObject({ code: 2, text: expect.stringMatching(/^optimize: Unknown option '--bogus'/) });
    expect(await run(['--status', '--apply'])).toMatchObject({ code: 2, text: expect.stringMatching(/--status takes no --apply/) });
    expect(await run(['--help'])).toMatchObject({ code: 0, text: expect.stringMatching(/^usage: npm run optimize/) });
    expect(await run([], { ADMIN_URL: 'not a url', ADMIN_TOKEN: TOKEN })).toMatchObject({
      code: 2,
      text: expect.stringMatching(/ADMIN_URL/),
    });
    const noToken = await run([], { ADMIN_URL: server.url, DATA_DIR: dir });
    expect(noToken).toMatchObject({ code: 2, text: expect.stringMatching(/no admin token: set ADMIN_TOKEN/) });
    const missing = await run(['--canary-plan', join(dir, 'nope.json')]);
    expect(missing).toMatchObject({ code: 2, text: expect.stringMatching(/--canary-plan .*nope\.json: ENOENT/) });
    expect((await run([], { ADMIN_URL: server.url, ADMIN_TOKEN: 'wrong-token-0123456789' })).code).toBe(1);
  });

  it('applies and then reports the progress as text', async () => {
    const applied = await run(['--apply']);
    expect(applied.code).toBe(0);
    expect(applied.text).toMatch(/^optimize plan for route mangaassist \(APPLIED\)/);
    const status = await run(['--status']);
    expect(status.code).toBe(0);
    expect(status.text).toMatch(
      /faq: optimize-faq sonnet-35-v1 -> haiku-35 \[in_progress\] pending at warmup, weight 0% \(started on live\)/,
    );
    expect(status.text).toMatch(/last decision: start at warmup: started by optimize on live evidence/);
    expect(status.text).toMatch(/saving: realised unknown\/month vs projected \$84000.00\/month/);
    expect(status.text).toMatch(
      /shipped: none\nrolled back: none\nin progress: faq\nsaving realised so far \$0.00\/month vs projected \$84000.00\/month/,
    );
  });
});
