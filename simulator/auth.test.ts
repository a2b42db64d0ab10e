import { ConverseCommand, ConverseStreamCommand, type BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from './server.ts';
import { converseBody, HAIKU, KEYS, post, sdkClient } from './test-support.ts';

const converse = (text = 'hi'): ConverseCommand =>
  new ConverseCommand({ modelId: HAIKU, messages: [{ role: 'user', content: [{ text }] }] });

async function rejection(
  client: BedrockRuntimeClient,
  command: ConverseCommand = converse(),
): Promise<{ name: string; status: number | undefined }> {
  try {
    await client.send(command);
  } catch (error) {
    const e = error as { name: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode };
  } finally {
    client.destroy();
  }
  throw new Error('expected the call to fail');
}

describe('SigV4', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startSimulator({ timeScale: 0, credentials: KEYS, randomFaults: false });
  });
  afterAll(() => sim.close());

  it('verifies the SDK signature (HTTP/2, encoded model id in the path)', async () => {
    const client = sdkClient(sim.url);
    await client.send(converse());
    const stream = await client.send(
      new ConverseStreamCommand({ modelId: HAIKU, messages: [{ role: 'user', content: [{ text: 'hi' }] }] }),
    );
    for await (const _ of stream.stream!) void _;
    client.destroy();
    expect(sim.control.log.slice(-2).map((r) => r.signature)).toEqual(['verified', 'verified']);
  });

  it('rejects a wrong secret and a wrong key id with InvalidSignatureException', async () => {
    expect(await rejection(sdkClient(sim.url, { credentials: { ...KEYS, secretAccessKey: 'wrong' } }))).toEqual({
      name: 'InvalidSignatureException',
      status: 403,
    });
    expect(await rejection(sdkClient(sim.url, { credentials: { ...KEYS, accessKeyId: 'AKIDOTHER' } }))).toEqual({
      name: 'InvalidSignatureException',
      status: 403,
    });
    expect(sim.control.log.at(-1)).toMatchObject({ status: 403, modelId: HAIKU });
  });

  it('rejects a body changed after signing', async () => {
    const client = sdkClient(sim.url);
    type Args = { request: { body?: unknown } };
    const tamper = (next: (args: Args) => Promise<unknown>) => async (args: Args) => {
      const body = args.request.body;
      const text = typeof body === 'string' ? body : new TextDecoder().decode(body as Uint8Array);
      args.request.body = text.replace('"hi"', '"ho"');
      return next(args);
    };
    client.middlewareStack.addRelativeTo(tamper as never, { relation: 'after', toMiddleware: 'httpSigningMiddleware', name: 'tamper' });
    expect(await rejection(client)).toEqual({ name: 'InvalidSignatureException', status: 403 });
  });

  it.each([true, false])('verifies a request signed by hand and sent over HTTP/1.1 (content hash header: %s)', async (applyChecksum) => {
    const body = JSON.stringify(converseBody('hello'));
    const url = new URL(`${sim.url}/model/${encodeURIComponent(HAIKU)}/converse`);
    const signer = new SignatureV4({ credentials: KEYS, region: 'eu-west-1', service: 'bedrock', sha256: Sha256, applyChecksum });
    const signed = await signer.sign({
      method: 'POST',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query: {},
      headers: { host: url.host, 'content-type': 'application/json' },
      body,
    });
    const headers = signed.headers as Record<string, string>;
    expect('x-amz-content-sha256' in headers).toBe(applyChecksum);
    const res = await fetch(url, { method: 'POST', body, headers });
    expect(res.status).toBe(200);
    expect(sim.control.log.at(-1)!.signature).toBe('verified');
    const changed = body.replace('hello', 'jello');
    const hash = new Sha256();
    hash.update(changed);
    const rehashed = applyChecksum ? { ...headers, 'x-amz-content-sha256': Buffer.from(await hash.digest()).toString('hex') } : headers;
    const tampered = await fetch(url, { method: 'POST', body: changed, headers: rehashed });
    expect(tampered.status).toBe(403);
    expect(tampered.headers.get('x-amzn-errortype')).toBe('InvalidSignatureException');
  });

  it('asks for a token when there is none', async () => {
    const res = await post(fetch, sim.url, HAIKU, 'converse', converseBody('hi'));
    expect(res.status).toBe(403);
    expect(res.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
    expect(await res.json()).toEqual({ message: 'Missing Authentication Token' });
  });

  it('does not accept bearer tokens without an API key configured', async () => {
    const res = await post(fetch, sim.url, HAIKU, 'converse', converseBody('hi'), { authorization: 'Bearer anything' });
    expect(res.status).toBe(403);
  });
});

describe('Bedrock API keys', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startSimulator({ timeScale: 0, apiKey: 'sim-api-key', randomFaults: false });
  });
  afterAll(() => sim.close());

  it('accepts the SDK with the right bearer token and rejects others', async () => {
    const client = sdkClient(sim.url, { token: { token: 'sim-api-key' }, authSchemePreference: ['httpBearerAuth'] });
    await client.send(converse());
    client.destroy();
    expect(sim.control.log.at(-1)!.signature).toBe('bearer');
    const wrong = sdkClient(sim.url, { token: { token: 'other-key' }, authSchemePreference: ['httpBearerAuth'] });
    expect((await rejection(wrong)).status).toBe(403);
    expect((await rejection(sdkClient(sim.url))).status).toBe(403);
  });
});

describe('without credentials configured', () => {
  it('checks nothing', async () => {
    const sim = await startSimulator({ timeScale: 0, randomFaults: false });
    const client = sdkClient(sim.url, { credentials: { accessKeyId: 'whatever', secretAccessKey: 'whatever' } });
    await client.send(converse());
    client.destroy();
    const res = await post(fetch, sim.url, HAIKU, 'converse', converseBody('hi'));
    expect(res.status).toBe(200);
    expect(sim.control.log.map((r) => r.signature)).toEqual(['unchecked', 'unchecked']);
    await sim.close();
  });
});
