import { describe, expect, it } from 'vitest';
import { seedStore } from '../admin/mutate.ts';
import { loadGatewayConfig } from '../gateway/config/load.ts';
import { storeConfigSource } from '../gateway/config/store-source.ts';
import { MemoryLogger } from '../lib/log/memory.ts';
import type { ConfigStore } from '../stores/config/interface.ts';
import { memoryConfigStore } from '../stores/config/memory.ts';

const fileConfig = loadGatewayConfig('config/mangaassist.json');

/** A store that can be made to hang (never answer) or fail, around a memory store. */
function flakyStore(inner: ConfigStore) {
  let mode: 'ok' | 'hang' | 'down' = 'ok';
  const gate = <T>(call: () => Promise<T>): Promise<T> =>
    mode === 'hang'
      ? new Promise<T>(() => {})
      : mode === 'down'
        ? (Promise.resolve({ ok: false, error: { kind: 'unavailable', message: 'down' } }) as Promise<T>)
        : call();
  const store: ConfigStore = {
    version: () => gate(() => inner.version()),
    read: () => gate(() => inner.read()),
    commit: (...args) => inner.commit(...args),
    audit: (q) => inner.audit(q),
    close: () => inner.close(),
  };
  return { store, set: (m: typeof mode) => (mode = m) };
}

describe('store-backed configuration source', () => {
  it('accepts internal keys without switching data-plane auth on', async () => {
    const store = memoryConfigStore();
    await seedStore(store, fileConfig, Date.now);
    const source = await storeConfigSource(store, { internalKeys: ['internal-warmup-key'] });
    expect(source.keys.enabled()).toBe(false);
    expect(await source.keys.isValid('internal-warmup-key')).toBe(true);
    expect(await source.keys.isValid('something-else')).toBe(false);
  });

  it('counts a hung store as a failure, keeps the configuration, and polls on until it answers', async () => {
    const inner = memoryConfigStore();
    await seedStore(inner, fileConfig, Date.now);
    const flaky = flakyStore(inner);
    const logger = new MemoryLogger();
    const source = await storeConfigSource(flaky.store, { pollTimeoutMs: 50, logger });
    flaky.set('hang');
    await source.poll();
    await source.poll();
    expect(source.stats()).toMatchObject({ unavailable: true, failedPolls: 2, outages: 1, version: 1 });
    expect(source.current().config.routes[0]!.name).toBe('mangaassist');
    flaky.set('ok');
    await source.poll();
    expect(source.stats()).toMatchObject({ unavailable: false, outages: 1 });
    expect(logger.entries.map((e) => e.msg)).toEqual(['config store unreachable', 'config store reachable again']);
  });

  it('keeps the last good configuration when a stored version is invalid', async () => {
    const store = memoryConfigStore();
    await seedStore(store, fileConfig, Date.now);
    const source = await storeConfigSource(store);
    const read = await store.read();
    if (!read.ok || !read.value) throw new Error('seeded store expected');
    const broken = structuredClone(read.value.document);
    broken.config.routes[0]!.default = 'missing';
    await store.commit(1, broken, { time: 0, actor: 'test', action: 'break', resource: 'routes/mangaassist', before: null, after: null });
    await source.poll();
    expect(source.current().config.routes[0]!.default).toBe('sonnet-35-v1');
    expect(source.stats().version).toBe(2);
  });

  it('serves the file configuration when the store cannot be read at start', async () => {
    const flaky = flakyStore(memoryConfigStore());
    flaky.set('down');
    const source = await storeConfigSource(flaky.store, { fallback: fileConfig });
    expect(source.current().config).toBe(fileConfig);
    await expect(storeConfigSource(flaky.store)).rejects.toThrow(/unreachable/);
  });
});
