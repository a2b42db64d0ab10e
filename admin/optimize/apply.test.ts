import { describe, expect, it } from 'vitest';
import { recommendRoute } from '../../analysis/recommend.ts';
import { AnalysisSettings } from '../../analysis/settings.ts';
import type { ConfigDocument } from '../../schema/admin.ts';
import { loadGatewayConfig } from '../../stores/config/file.ts';
import { memoryConfigStore } from '../../stores/config/memory.ts';
import { readAuditLog } from '../../stores/config/current.ts';
import { intentRow } from '../../test/support/choice-fixtures.ts';
import { readState } from '../canary/records.ts';
import { defaultPlan } from '../canary/schema.ts';
import { mutate, readDocument, seedStore } from '../mutate.ts';
import { applyPlan, OPTIMIZE_ACTION } from './apply.ts';
import { planOptimization } from './plan.ts';

const settings = AnalysisSettings.parse({});
const figures = (cost: number) => ({ requests: 100, scored: 100, quality: 0.86, passRate: 0.92, cost, costSd: cost / 10, p95: 1200 });
const ROWS = [intentRow('faq', 'sonnet-35-v1', figures(0.004)), intentRow('faq', 'haiku-35', figures(0.0012))];

async function setup() {
  const store = memoryConfigStore();
  const config = loadGatewayConfig('config/mangaassist.json');
  const seeded = await seedStore(store, config, Date.now);
  if (!seeded.ok) throw new Error(seeded.message);
  const recommendation = recommendRoute(ROWS, config.routes[0]!, { faq: 1 }, settings);
  const plan = planOptimization({ recommendation, rows: ROWS, settings, config, offline: null, canaryPlan: defaultPlan(), now: 0 });
  const deps = { store, now: () => 1_000, log: () => {} };
  /** Changes the stored configuration behind the plan's back. */
  const meanwhile = (edit: (d: ConfigDocument) => void) =>
    mutate(store, { actor: 'someone', ifMatch: undefined, resource: 'x', now: Date.now }, (d) => {
      edit(d);
      return { action: 'edit', resource: 'x', before: null, after: null };
    });
  return { store, plan, deps, meanwhile };
}

describe('applyPlan', () => {
  it('creates the canaries at weight 0, records the plan, and starts each under the controller', async () => {
    const { store, plan, deps } = await setup();
    const started = await applyPlan(deps, plan, 'admin-1');
    expect(started).toEqual([{ canaryId: 'optimize-faq', intent: 'faq', status: 'pending' }]);
    const { document } = await readDocument(store);
    expect(document.config.canaries).toEqual([
      {
        id: 'optimize-faq',
        route: 'mangaassist',
        intent: 'faq',
        baseline: 'sonnet-35-v1',
        candidate: 'haiku-35',
        weight: 0,
        status: 'running',
      },
    ]);
    const entry = (await readAuditLog(store)).find((e) => e.action === OPTIMIZE_ACTION);
    expect(entry).toMatchObject({ actor: 'admin-1', resource: 'optimize/mangaassist', after: plan });
    const state = await readState(store, 'optimize-faq');
    expect(state.ok && state.value?.state).toMatchObject({ status: 'pending', subject: { intent: 'faq', candidate: 'haiku-35' } });
  });

  it('a plan with nothing to start changes nothing and records nothing (the last plan that started canaries stays the one reported)', async () => {
    const { store, plan, deps } = await setup();
    const before = await readDocument(store);
    const empty = { ...plan, steps: plan.steps.filter((s) => s.action === 'skip') };
    expect(await applyPlan(deps, empty, 'admin-1')).toEqual([]);
    expect((await readDocument(store)).version).toBe(before.version);
    expect((await readAuditLog(store)).filter((e) => e.action === OPTIMIZE_ACTION)).toHaveLength(0);
  });

  it.each([
    [
      'the intent moved to another configuration',
      (d: ConfigDocument) => {
        d.config.routes[0]!.table.faq = 'sonnet-3';
      },
      /mangaassist\/faq is now on sonnet-3, not sonnet-35-v1: run optimize again/,
    ],
    [
      'an experiment now covers the whole route',
      (d: ConfigDocument) => {
        d.config.experiments = [
          { id: 'wide', route: 'mangaassist', control: 'sonnet-35-v1', treatment: 'sonnet-35-v2', split: 0.5, status: 'running' },
        ];
      },
      /"wide" now covers mangaassist\/faq/,
    ],
    [
      'the canary id was taken',
      (d: ConfigDocument) => {
        d.config.canaries = [
          {
            id: 'optimize-faq',
            route: 'mangaassist',
            intent: 'chitchat',
            baseline: 'haiku-35',
            candidate: 'sonnet-3',
            weight: 0,
            status: 'stopped',
          },
        ];
      },
      /id "optimize-faq" is taken meanwhile/,
    ],
    [
      'the route is gone',
      (d: ConfigDocument) => {
        d.config.routes[0]!.name = 'renamed';
        d.config.experiments = [];
      },
      /route "mangaassist" no longer exists/,
    ],
  ])('refuses with 409 and changes nothing when %s', async (_name, edit, message) => {
    const { store, plan, deps, meanwhile } = await setup();
    await meanwhile(edit);
    const before = await readDocument(store);
    await expect(applyPlan(deps, plan, 'admin-1')).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(message) });
    const after = await readDocument(store);
    expect(after.version).toBe(before.version);
    expect((await readAuditLog(store)).some((e) => e.action === OPTIMIZE_ACTION)).toBe(false);
  });
});
