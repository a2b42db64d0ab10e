import { describe, expect, it } from 'vitest';
import type { ConfigDocument } from '../../schema/admin.ts';
import type { AuditInput, ConfigStore, StoreResult } from './interface.ts';

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
  return { time: 1_700_000_000_000 + n, actor: 'admin-test', action: 'update', resource: 'configs/c', before: n > 1 ? { n: n - 1, list: [] } : null, after: { n, list: [] } };
}

/**
 * The behaviour every config store adapter must have. `open` gives a fresh, empty store each time
 * (its own key prefix or file), so cases do not see each other's data.
 */
export function configStoreContract(name: string, open: () => Promise<ConfigStore>, options: { skip?: () => boolean } = {}): void {
  describe(`config store contract: ${name}`, () => {
    const run = async (fn: (store: ConfigStore) => Promise<void>): Promise<void> => {
      if (options.skip?.()) return;
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
  });
}
