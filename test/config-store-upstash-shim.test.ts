import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHARED_REDIS_PORT, sharedRedisMissing } from './support/redis-server.ts';
import { startUpstashShim, type UpstashShim } from './support/upstash-shim.ts';

const redisMissing = await sharedRedisMissing();
let shim: UpstashShim | null = null;
beforeAll(async () => {
  if (redisMissing === null) shim = await startUpstashShim(SHARED_REDIS_PORT);
});
afterAll(() => shim?.close());

async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${shim!.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${shim!.token}`, ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

describe.skipIf(redisMissing !== null)('Upstash REST shim over the real redis-server', () => {
  it('answers single commands, pipelines and transactions, base64-encoding strings when asked', async () => {
    const key = `test:shim:${randomUUID()}`;
    const b64 = { 'upstash-encoding': 'base64' };
    expect(await post('/', ['SET', key, '漫画'])).toEqual({ status: 200, json: { result: 'OK' } });
    expect((await post('/', ['GET', key])).json).toEqual({ result: '漫画' });
    expect((await post('/', ['GET', key], b64)).json).toEqual({ result: Buffer.from('漫画').toString('base64') });
    const pipeline = await post(
      '/pipeline',
      [
        ['INCR', `${key}:n`],
        ['GET', key],
        ['GET', `${key}:missing`],
      ],
      b64,
    );
    expect(pipeline.json).toEqual([{ result: 1 }, { result: Buffer.from('漫画').toString('base64') }, { result: null }]);
    const multi = await post('/multi-exec', [
      ['INCR', `${key}:n`],
      ['INCR', key],
    ]);
    expect(multi.json).toEqual([{ result: 2 }, { error: expect.stringContaining('not an integer') }]);
    expect((await post('/', ['NOSUCHCOMMAND'])).status).toBe(400);
    await post('/', ['DEL', key, `${key}:n`]);
  });

  it('refuses a wrong token', async () => {
    const res = await fetch(shim!.url, { method: 'POST', headers: { authorization: 'Bearer wrong' }, body: '["PING"]' });
    expect(res.status).toBe(401);
  });
});
