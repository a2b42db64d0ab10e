import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { adminCall, converse, startControlledStack, waitFor } from './support/admin-stack.ts';
import { DYNALITE_CREDENTIALS, startDynalite } from './support/dynalite-server.ts';

let stack: Awaited<ReturnType<typeof startControlledStack>> | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

describe('gateway following the SQLite config store, admin API on the gateway port', () => {
  it('applies a change made through the admin API at a later poll', async () => {
    stack = await startControlledStack();
    const { url } = stack;
    expect((await converse(url, 'faq', 's-1')).config).toBe('sonnet-35-v1');
    const res = await adminCall(url, 'POST', '/canaries', {
      id: 'faq-haiku',
      route: 'mangaassist',
      intent: 'faq',
      baseline: 'sonnet-35-v1',
      candidate: 'haiku-35',
      weight: 100,
    });
    expect(res.status).toBe(201);
    // The guard only stops a hang; how soon a change applies is set by the poll period, not asserted here.
    await waitFor(async () => (await converse(url, 'faq', 's-1')).arm === 'canary', 10_000, 'the canary');
    expect((await converse(url, 'faq', 's-1')).config).toBe('haiku-35');
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/gateway_config_store_up 1/);
    expect(metrics).toMatch(/gateway_config_reloads_total [2-9]/);
  });

  it('honours data-plane keys created through the admin API beside GATEWAY_API_KEYS, and revocation', async () => {
    stack = await startControlledStack({ staticKeys: ['env-key-1'] });
    const { url } = stack;
    expect((await converse(url, 'faq', 's-1')).status).toBe(401);
    expect((await converse(url, 'faq', 's-1', 'env-key-1')).status).toBe(200);
    const created = await adminCall(url, 'POST', '/api-keys', { name: 'chatbot' });
    const key = created.json.key as string;
    await waitFor(async () => (await converse(url, 'faq', 's-1', key)).status === 200, 10_000, 'the new key');
    expect((await fetch(`${url}/admin/config`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(403);
    await adminCall(url, 'DELETE', `/api-keys/${created.json.id}`);
    await waitFor(async () => (await converse(url, 'faq', 's-1', key)).status === 401, 10_000, 'the revocation');
    expect((await converse(url, 'faq', 's-1', 'env-key-1')).status).toBe(200);
  });

  it('turns data-plane auth on when the first key is created through the admin API', async () => {
    stack = await startControlledStack();
    const { url } = stack;
    expect((await converse(url, 'faq', 's-1')).status).toBe(200);
    const created = await adminCall(url, 'POST', '/api-keys', { name: 'first' });
    await waitFor(async () => (await converse(url, 'faq', 's-1')).status === 401, 10_000, 'auth to turn on');
    expect((await converse(url, 'faq', 's-1', created.json.key)).status).toBe(200);
  });
});

describe('gateway following the DynamoDB config store (dynalite)', () => {
  it('seeds the empty table from the file and applies a later change', async () => {
    const dynamo = await startDynalite();
    const client = new DynamoDBClient({ region: 'us-east-1', endpoint: dynamo.endpoint, credentials: DYNALITE_CREDENTIALS });
    try {
      stack = await startControlledStack({
        store: { kind: 'dynamodb', client, table: 'gateway-config', createTable: true, keyPrefix: `${randomUUID()}#` },
      });
      const { url } = stack;
      expect((await adminCall(url, 'GET', '/config')).json.version).toBe(1);
      expect((await adminCall(url, 'PATCH', '/experiments/sonnet-v2-upgrade', { split: 1 })).status).toBe(200);
      await waitFor(async () => (await converse(url, 'recommendation', 's-9')).arm === 'treatment', 10_000, 'the new split');
      expect((await adminCall(url, 'GET', '/audit')).json.entries).toHaveLength(2);
    } finally {
      await stack?.close();
      stack = undefined;
      client.destroy();
      await dynamo.close();
    }
  });
});
