import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnGateway, stopProcess, type SpawnedGateway } from './support/gateway.ts';

const ADMIN_TOKEN = 'logs-process-admin-token-0123456789';
let gw: SpawnedGateway;

beforeAll(async () => {
  gw = await spawnGateway({ SIM_TIME_SCALE: '0', LOG_FORMAT: 'json', ADMIN_TOKEN, CANARY_CONTROLLER: 'off' });
}, 30_000);
afterAll(async () => {
  if (gw) await stopProcess(gw.child);
});

type Line = { time: string; level: string; msg: string } & Record<string, unknown>;
const lines = (): Line[] =>
  gw
    .output()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line);

/** Resolves with the newest line with this message (and this text, when given), once there is one. */
const lineWith = async (msg: string, text = ''): Promise<Line> => {
  await gw.waitFor(new RegExp(`"msg":"${msg}"[^\\n]*${text}`), 10_000);
  return lines().findLast((l) => l.msg === msg)!;
};

describe('the log of `npm start` with LOG_FORMAT=json', () => {
  it('is JSON lines from the first: start-up lines keep their wording', () => {
    const all = lines();
    expect(all.every((l) => typeof l.time === 'string' && typeof l.level === 'string' && typeof l.msg === 'string')).toBe(true);
    expect(all.some((l) => l.msg.startsWith('gateway listening on'))).toBe(true);
    expect(all.find((l) => l.msg.startsWith('data-plane auth is OFF'))?.level).toBe('warn');
  });

  it('tells an admin change, auth turning on, and a failed request; never the token or the key', async () => {
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
    const created = await fetch(`${gw.url}/admin/api-keys`, { method: 'POST', headers: admin, body: JSON.stringify({ name: 'bot' }) });
    expect(created.status).toBe(201);
    const { key, id } = (await created.json()) as { key: string; id: string };
    expect(await lineWith('admin change', `api-keys/${id}`)).toMatchObject({ action: 'create', resource: `api-keys/${id}`, version: 2 });
    expect(
      await lineWith('data-plane auth is ON: API keys exist; requests need Authorization: Bearer <key> or a SigV4 signature'),
    ).toMatchObject({
      storeKeys: 1,
    });

    const failed = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'mangaassist',
        messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] }],
      }),
    });
    expect(failed.status).toBe(400);
    expect(await lineWith('request failed')).toMatchObject({
      requestId: failed.headers.get('x-gateway-request-id'),
      route: 'mangaassist',
      status: 400,
      errorCode: 'invalid_request',
    });
    expect(gw.output()).not.toContain(ADMIN_TOKEN);
    expect(gw.output()).not.toContain(key);
  });
});
