import { createAdminApp } from '../../admin/app.ts';
import { seedStore } from '../../admin/mutate.ts';
import { loadGatewayConfig } from '../../gateway/config/load.ts';
import type { ConfigStore } from '../../stores/config/interface.ts';
import { memoryConfigStore } from '../../stores/config/memory.ts';
import type { ResponseJson } from './json.ts';

/** The admin token of test fixtures. */
export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

/** An admin app over a memory store seeded with the shipped MangaAssist configuration. */
export async function seededAdmin(options: { store?: ConfigStore; staticDataPlaneKeys?: string[] } = {}) {
  const store = options.store ?? memoryConfigStore();
  const seeded = await seedStore(store, loadGatewayConfig('config/mangaassist.json'), Date.now);
  if (!seeded.ok) throw new Error(seeded.message);
  const staticKeys = new Set(options.staticDataPlaneKeys ?? []);
  let storeCheck: ((key: string) => Promise<boolean>) | undefined;
  const app = createAdminApp({
    store,
    tokens: [ADMIN_TOKEN],
    isDataPlaneKey: async (key) => staticKeys.has(key) || ((await storeCheck?.(key)) ?? false),
  });
  // The default check of the app (keys stored through the API) is what a lone admin server uses.
  const plain = createAdminApp({ store, tokens: [ADMIN_TOKEN] });
  storeCheck = async (key) => (await plain.request('/admin/config', { headers: { authorization: `Bearer ${key}` } })).status === 403;

  /** Sends a request; `token: null` sends no Authorization header. */
  async function call(
    method: string,
    path: string,
    init: { body?: unknown; raw?: string; token?: string | null; headers?: Record<string, string> } = {},
  ) {
    const headers: Record<string, string> = { ...(init.headers ?? {}) };
    const token = init.token === undefined ? ADMIN_TOKEN : init.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (init.raw !== undefined || init.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = init.raw ?? JSON.stringify(init.body);
    }
    const res = await app.request(`/admin${path}`, { method, headers, body });
    const text = await res.text();
    return { status: res.status, headers: res.headers, json: text ? (JSON.parse(text) as ResponseJson) : null };
  }

  /** The whole stored state as the admin API shows it, to prove that a refused change changed nothing. */
  async function snapshot() {
    const config = await call('GET', '/config');
    const keys = await call('GET', '/api-keys');
    const audit = await call('GET', '/audit?limit=1000');
    return { config: config.json, keys: keys.json, audit: audit.json };
  }

  return { app, store, call, snapshot };
}
