import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigSourceError, loadCurrentConfig } from './current.ts';
import { ConfigStoreEnv, configStoreFromEnv, describeStore, EnvError, parseEnv } from './env.ts';
import { loadGatewayConfig } from './file.ts';
import { sqliteConfigStore } from './sqlite.ts';

const SHIPPED = 'config/mangaassist.json';
const dir = mkdtempSync(join(tmpdir(), 'config-current-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('configStoreFromEnv', () => {
  it('chooses the store the gateway would, from the same variables', () => {
    expect(configStoreFromEnv(parseEnv(ConfigStoreEnv, { DATA_DIR: '/srv/gw' }))).toEqual({ kind: 'sqlite', path: '/srv/gw/config.db' });
    const upstash = configStoreFromEnv(
      parseEnv(ConfigStoreEnv, {
        CONFIG_STORE: 'upstash',
        UPSTASH_REDIS_REST_URL: 'https://eu1.upstash.io',
        UPSTASH_REDIS_REST_TOKEN: 'secret',
        CONFIG_STORE_PREFIX: 'prod:',
      }),
    );
    expect(upstash).toEqual({ kind: 'upstash', url: 'https://eu1.upstash.io', token: 'secret', keyPrefix: 'prod:' });
    expect(describeStore(upstash)).toBe('Upstash Redis at https://eu1.upstash.io (prefix prod:)');
    expect(describeStore(upstash)).not.toContain('secret');
    const dynamoEnv = { CONFIG_STORE: 'dynamodb', DYNAMODB_ENDPOINT: 'http://127.0.0.1:4567', AWS_REGION: 'eu-west-1' };
    const dynamo = configStoreFromEnv(parseEnv(ConfigStoreEnv, dynamoEnv));
    expect(dynamo).toEqual({
      kind: 'dynamodb',
      table: 'llm-gateway-config',
      region: 'eu-west-1',
      createTable: true,
      endpoint: 'http://127.0.0.1:4567',
    });
  });

  it('names the variable of a bad value', () => {
    expect(() => parseEnv(ConfigStoreEnv, { CONFIG_STORE: 'redis' })).toThrow(EnvError);
    expect(() => parseEnv(ConfigStoreEnv, { CONFIG_STORE: 'redis' })).toThrow(/^invalid environment:\nCONFIG_STORE: /);
    const noUrl = { CONFIG_STORE: 'upstash', UPSTASH_REDIS_REST_TOKEN: 't' };
    expect(() => parseEnv(ConfigStoreEnv, noUrl)).toThrow(/UPSTASH_REDIS_REST_URL: required when CONFIG_STORE=upstash/);
    expect(() => parseEnv(ConfigStoreEnv, { UPSTASH_REDIS_REST_URL: 'nope' })).toThrow(/UPSTASH_REDIS_REST_URL/);
  });
});

describe('loadCurrentConfig', () => {
  it('reads the store once a gateway has seeded it, with its version', async () => {
    const path = join(dir, 'seeded.db');
    const store = sqliteConfigStore({ path });
    const config = loadGatewayConfig(SHIPPED);
    const changed = { ...config, experiments: config.experiments.map((e) => ({ ...e, split: 0.5 })) };
    const audit = { time: 1, actor: 'system', action: 'seed', resource: 'config', before: null, after: null };
    expect((await store.commit(0, { config, versions: {}, apiKeys: [] }, audit)).ok).toBe(true);
    expect((await store.commit(1, { config: changed, versions: {}, apiKeys: [] }, { ...audit, action: 'update' })).ok).toBe(true);
    await store.close();
    const loaded = await loadCurrentConfig({ store: { kind: 'sqlite', path }, fallbackFile: SHIPPED });
    expect(loaded.origin).toEqual({
      kind: 'store',
      store: 'sqlite',
      location: path,
      version: 2,
      description: `sqlite config store at ${path}, version 2`,
    });
    expect(loaded.config.experiments[0]!.split).toBe(0.5);
  });

  it('falls back to the file with a note while the store is empty, without creating it', async () => {
    const path = join(dir, 'never-started', 'config.db');
    const loaded = await loadCurrentConfig({ store: { kind: 'sqlite', path }, fallbackFile: SHIPPED });
    expect(loaded.origin).toMatchObject({ kind: 'file', path: SHIPPED, reason: 'store-empty' });
    expect(loaded.origin.description).toMatch(
      /is empty \(no gateway has started on it yet\): used the configuration file config\/mangaassist.json instead/,
    );
    expect(loaded.config.experiments[0]!.split).toBe(0.1);
    expect(existsSync(join(dir, 'never-started'))).toBe(false);
  });

  it('uses an explicit file over the store', async () => {
    const loaded = await loadCurrentConfig({ file: SHIPPED });
    expect(loaded.origin).toMatchObject({ kind: 'file', path: SHIPPED, reason: 'override', description: `file ${SHIPPED} (--config)` });
  });

  it('stops on a store that does not answer instead of falling back to a file', async () => {
    const server = createServer((_req, res) => res.writeHead(503).end('{"error":"down"}'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const loading = loadCurrentConfig({ store: { kind: 'upstash', url, token: 't', timeoutMs: 500 }, fallbackFile: SHIPPED });
      await expect(loading).rejects.toThrow(ConfigSourceError);
      await expect(loading).rejects.toThrow(/upstash config store at http:\/\/127\.0\.0\.1:\d+ cannot be read .*give --config FILE/);
    } finally {
      server.close();
    }
  });
});
