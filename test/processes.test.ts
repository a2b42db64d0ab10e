import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from '../simulator/server.ts';
import { spawnGateway, stopProcess } from './support/gateway.ts';

let a: Awaited<ReturnType<typeof spawnGateway>>;
let b: Awaited<ReturnType<typeof spawnGateway>>;

beforeAll(async () => {
  [a, b] = await Promise.all([
    spawnGateway({ SIM_TIME_SCALE: '0' }),
    spawnGateway({ SIM_TIME_SCALE: '0', SIM_SEED: '99', SIM_FAULTS: 'on' }),
  ]);
}, 30_000);
afterAll(async () => {
  await Promise.all([a, b].filter(Boolean).map((g) => stopProcess(g.child)));
});

async function armOf(url: string, session: string): Promise<string> {
  const res = await fetch(`${url}/model/mangaassist/converse`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-intent': 'recommendation', 'x-session-id': session },
    body: JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'recommend a manga' }] }] }),
  });
  // The second gateway's simulator draws its profiles' rare faults; the arm is decided before the upstream call either way.
  expect([200, 408, 429, 500]).toContain(res.status);
  return `${res.headers.get('x-gateway-arm')}/${res.headers.get('x-gateway-config')}`;
}

describe('two separately started gateway processes (npm start entry point)', () => {
  it('say at start-up that auth is off, which upstream they use and whether it injects faults', () => {
    expect(a.output()).toContain('data-plane auth is OFF');
    expect(a.output()).toMatch(/embedded simulator at .*faults off\)/);
    expect(b.output()).toMatch(/embedded simulator at .*faults on: profile error, throttle and timeout rates apply\)/);
  });

  it('put the same session in the same arm', async () => {
    const sessions = Array.from({ length: 80 }, (_, i) => `customer-${i}`);
    const armsA = await Promise.all(sessions.map((s) => armOf(a.url, s)));
    const armsB = await Promise.all(sessions.map((s) => armOf(b.url, s)));
    expect(armsB).toEqual(armsA);
    expect(new Set(armsA)).toEqual(new Set(['control/sonnet-35-v1', 'treatment/sonnet-35-v2']));
  });

  it('stops start-up with a message naming the bad field of an invalid configuration', async () => {
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const path = join(mkdtempSync(join(tmpdir(), 'gw-')), 'bad.json');
    writeFileSync(
      path,
      JSON.stringify({ pricing: {}, configs: [{ id: 'x', upstream: { provider: 'bedrock', modelId: 'm' }, maxTokens: 5 }] }),
    );
    const err = await spawnGateway({ GATEWAY_CONFIG: path }).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toContain('configs.0.priceKey: configuration "x" has no price');
  });
});

describe('UPSTREAM=bedrock against an external endpoint', () => {
  const converse = (url: string) =>
    fetch(`${url}/model/mangaassist/converse`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-intent': 'chitchat' },
      body: JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'hello' }] }] }),
    });

  it('signs with credentials from the default AWS chain (environment), which the endpoint verifies', async () => {
    const credentials = { accessKeyId: 'AKIDCHAINTEST', secretAccessKey: 'chain-secret' };
    const sim = await startSimulator({ timeScale: 0, credentials, randomFaults: false });
    const gw = await spawnGateway({
      UPSTREAM: 'bedrock',
      BEDROCK_ENDPOINT: sim.url,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_REGION: 'eu-west-1',
    });
    try {
      expect(gw.output()).toContain('SigV4, default credential chain');
      expect((await converse(gw.url)).status).toBe(200);
      expect(sim.control.log.at(-1)).toMatchObject({ signature: 'verified', status: 200 });
    } finally {
      await stopProcess(gw.child);
      await sim.close();
    }
  });

  it('sends a Bedrock API key as a bearer token instead of signing', async () => {
    const sim = await startSimulator({ timeScale: 0, apiKey: 'bedrock-api-key-1', randomFaults: false });
    const gw = await spawnGateway({ UPSTREAM: 'bedrock', BEDROCK_ENDPOINT: sim.url, AWS_BEARER_TOKEN_BEDROCK: 'bedrock-api-key-1' });
    try {
      expect((await converse(gw.url)).status).toBe(200);
      expect(sim.control.log.at(-1)).toMatchObject({ signature: 'bearer', status: 200 });
    } finally {
      await stopProcess(gw.child);
      await sim.close();
    }
  });
});
