import { describe, expect, it } from 'vitest';
import type { ConfigDocument } from '../../schema/admin.ts';
import { hasControllerRecords, type AuditInput, type ConfigStore, type ConfigStoreWithRecords, type StoreResult } from './interface.ts';

/** Unwraps a successful store result; fails the test otherwise. */
function value<T>(result: StoreResult<T>): T {
  if (!result.ok) throw new Error(`store call failed: ${result.error.kind}: ${result.error.message}`);
  return result.value;
}

function documentAt(n: number): ConfigDocument {
  return {
    config: {
      pricing: { m: { inputPer1k: 0.001, outputPer1k: 0.002 } },
      systemPrompts: { v1: `prompt ${n}: おすすめの漫画 — "quoted" \\ back-slashed` },
      configs: [{ id: 'c', upstream: { provider: 'bedrock', modelId: 'm' }, maxTokens: 100 + n }],
      routes: [],
      experiments: [],
      canaries: [],
    },
    versions: { 'configs/c': n },
    apiKeys: [],
  };
}

function auditOf(n: number): AuditInput {
  return {
    time: 1_700_000_000_000 + n,
    actor: 'admin-test',
    action: 'update',
    resource: 'configs/c',
    before: n > 1 ? { n: n - 1, list: [] } : null,
    after: { n, list: [] },
  };
}

/**
 * The behaviour every config store adapter must have. `open` gives a fresh, empty store each time
 * (its own key prefix or file), so cases do not see each other's data. `skip` (why the adapter's service is
 * missing) skips the suite through the runner.
 */
export function configStoreContract(name: string, open: () => Promise<ConfigStore>, options: { skip?: string | null } = {}): void {
  describe.skipIf(Boolean(options.skip))(`config store contract: ${name}`, () => {
    const run = async (fn: (store: ConfigStore) => Promise<void>): Promise<void> => {
      const store = await open();
      try {
        await fn(store);
      } finally {
        await store.close();
      }
    };

    it('starts empty at version 0', () =>
      run(async (store) => {
        expect(value(await store.version())).toBe(0);
        expect(value(await store.read())).toBeNull();
        expect(value(await store.audit())).toEqual([]);
      }));

    it('commits documents as consecutive versions and reads back the latest', () =>
      run(async (store) => {
        expect(value(await store.commit(0, documentAt(1), auditOf(1)))).toBe(1);
        expect(value(await store.commit(1, documentAt(2), auditOf(2)))).toBe(2);
        expect(value(await store.version())).toBe(2);
        expect(value(await store.read())).toEqual({ version: 2, document: documentAt(2) });
      }));

    it('refuses a commit at a stale version and changes nothing', () =>
      run(async (store) => {
        value(await store.commit(0, documentAt(1), auditOf(1)));
        const stale = await store.commit(0, documentAt(9), auditOf(9));
        expect(stale.ok).toBe(false);
        if (!stale.ok) expect(stale.error.kind).toBe('conflict');
        expect(value(await store.read())).toEqual({ version: 1, document: documentAt(1) });
        expect(value(await store.audit()).map((e) => e.version)).toEqual([1]);
      }));

    it('lets exactly one of several concurrent writers at one version win', () =>
      run(async (store) => {
        value(await store.commit(0, documentAt(1), auditOf(1)));
        const results = await Promise.all([2, 3, 4, 5].map((n) => store.commit(1, documentAt(n), auditOf(n))));
        expect(results.filter((r) => r.ok)).toHaveLength(1);
        expect(results.filter((r) => !r.ok && r.error.kind === 'conflict')).toHaveLength(3);
        expect(value(await store.version())).toBe(2);
        expect(value(await store.audit())).toHaveLength(2);
      }));

    it('keeps an audit entry per version, in order, read page by page', () =>
      run(async (store) => {
        for (let n = 1; n <= 23; n++) value(await store.commit(n - 1, documentAt(n), auditOf(n)));
        const all = value(await store.audit({ limit: 1000 }));
        expect(all.map((e) => e.version)).toEqual(Array.from({ length: 23 }, (_, i) => i + 1));
        expect(all[4]).toEqual({ ...auditOf(5), version: 5 });
        const pages: number[] = [];
        for (let after = 0; ; ) {
          const page = value(await store.audit({ after, limit: 7 }));
          if (page.length === 0) break;
          expect(page.length).toBeLessThanOrEqual(7);
          pages.push(...page.map((e) => e.version));
          after = page[page.length - 1]!.version;
        }
        expect(pages).toEqual(all.map((e) => e.version));
      }));

    const withRecords = (fn: (store: ConfigStoreWithRecords) => Promise<void>) =>
      run(async (store) => {
        expect(hasControllerRecords(store)).toBe(true);
        if (hasControllerRecords(store)) await fn(store);
      });

    it('gives a lease to one holder until it expires, renews it for that holder, and releases it', () =>
      withRecords(async (store) => {
        expect(value(await store.acquireLease('ctl', 'a', 1_000, 10_000))).toEqual({ held: true, holder: 'a', expiresAt: 11_000 });
        expect(value(await store.acquireLease('ctl', 'b', 1_000, 10_500))).toEqual({ held: false, holder: 'a', expiresAt: 11_000 });
        expect(value(await store.acquireLease('ctl', 'a', 1_000, 10_600))).toEqual({ held: true, holder: 'a', expiresAt: 11_600 });
        expect(value(await store.acquireLease('other', 'b', 1_000, 10_600)).held).toBe(true);
        expect(value(await store.acquireLease('ctl', 'b', 1_000, 11_600))).toEqual({ held: true, holder: 'b', expiresAt: 12_600 });
        expect(value(await store.releaseLease('ctl', 'a'))).toBe(false);
        expect(value(await store.releaseLease('ctl', 'b'))).toBe(true);
        expect(value(await store.acquireLease('ctl', 'a', 1_000, 11_700)).held).toBe(true);
      }));

    it('lets exactly one of several concurrent holders take a free lease', () =>
      withRecords(async (store) => {
        const results = await Promise.all(['a', 'b', 'c', 'd'].map((h) => store.acquireLease('race', h, 5_000, 1_000)));
        const held = results.map(value).filter((l) => l.held);
        expect(held).toHaveLength(1);
        expect(results.map(value).every((l) => l.holder === held[0]!.holder)).toBe(true);
      }));

    it('writes records by compare-and-set without moving the configuration version', () =>
      withRecords(async (store) => {
        value(await store.commit(0, documentAt(1), auditOf(1)));
        expect(value(await store.getRecord('canary/k'))).toBeNull();
        expect(value(await store.putRecord('canary/k', { stage: 1, text: 'おすすめ "q"' }, 0))).toBe(1);
        const stale = await store.putRecord('canary/k', { stage: 9 }, 0);
        expect(stale.ok).toBe(false);
        if (!stale.ok) expect(stale.error.kind).toBe('conflict');
        expect(value(await store.putRecord('canary/k', { stage: 2 }, 1))).toBe(2);
        expect(value(await store.getRecord('canary/k'))).toEqual({ revision: 2, value: { stage: 2 } });
        expect(value(await store.version())).toBe(1);
      }));

    it('keeps append-only logs per key, in order, read page by page', () =>
      withRecords(async (store) => {
        for (let n = 1; n <= 12; n++) expect(value(await store.appendLog('decisions/a', { n }))).toBe(n);
        value(await store.appendLog('decisions/b', { n: 99 }));
        const all = value(await store.readLog('decisions/a'));
        expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
        expect(all[3]).toEqual({ seq: 4, entry: { n: 4 } });
        expect(value(await store.readLog('decisions/a', { after: 10, limit: 5 })).map((e) => e.entry)).toEqual([{ n: 11 }, { n: 12 }]);
        expect(value(await store.readLog('decisions/a', { after: 2, limit: 3 })).map((e) => e.seq)).toEqual([3, 4, 5]);
        expect(value(await store.readLog('decisions/b'))).toEqual([{ seq: 1, entry: { n: 99 } }]);
        expect(value(await store.readLog('none'))).toEqual([]);
        expect(value(await store.version())).toBe(0);
      }));
  });
}
