import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack } from './support/gateway.ts';

const KEY = 'k-http1';
let stack: Awaited<ReturnType<typeof startStack>>;

beforeAll(async () => {
  stack = await startStack({ apiKeys: [KEY], maxBodyBytes: 4_096 });
});
afterAll(() => stack?.close());

/** A plain HTTP/1.1 request with node:http (no HTTP/2 negotiation possible). */
function post(
  path: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string; httpVersion: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${stack.url}${path}`,
      { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}`, ...headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text, httpVersion: res.httpVersion }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** `X-Amz-Date` of now, e.g. `20261130T010203Z`. */
const amzDateNow = (): string =>
  new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
const converse = JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'hello' }] }] });

describe('HTTP/1.1 on the same port', () => {
  it('answers Converse with gateway headers', async () => {
    const res = await post('/model/mangaassist/converse', converse, { 'x-intent': 'chitchat', 'x-session-id': 'h1-session' });
    expect(res.httpVersion).toBe('1.1');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text).output.message.content[0].text.length).toBeGreaterThan(0);
    expect(res.headers['x-gateway-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers['x-gateway-config']).toBe('haiku-35');
    expect(res.headers['x-gateway-arm']).toBe('default');
    const overhead = Number(res.headers['x-gateway-overhead-ms']);
    expect(overhead).toBeGreaterThan(0);
    const obs = stack.sink.observations.find((o) => o.requestId === res.headers['x-gateway-request-id']);
    expect(obs?.overheadMs.toFixed(3)).toBe(res.headers['x-gateway-overhead-ms']);
    expect(obs!.overheadMs).toBeLessThan(obs!.latencyMs);
  });

  it('records the traffic class and rejects an unknown one', async () => {
    const before = stack.sink.observations.length;
    expect((await post('/model/mangaassist/converse', converse, { 'x-gateway-traffic': 'eval' })).status).toBe(200);
    expect((await stack.sink.waitFor(before + 1))[before]).toMatchObject({ traffic: 'eval', arm: 'unassigned' });
    const bad = await post('/model/mangaassist/converse', converse, { 'x-gateway-traffic': 'prod' });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text).message).toContain('x-gateway-traffic');
  });

  it('passes unknown model ids through and pins config:<id>', async () => {
    const haiku = 'anthropic.claude-3-5-haiku-20241022-v1:0';
    const through = await post(`/model/${encodeURIComponent(haiku)}/converse`, converse);
    expect(through.status).toBe(200);
    expect(through.headers['x-gateway-arm']).toBe('passthrough');
    const pinned = await post('/model/config:sonnet-3/converse', converse);
    expect(pinned.headers['x-gateway-config']).toBe('sonnet-3');
    expect(pinned.headers['x-gateway-arm']).toBe('pinned');
    const missing = await post('/model/config:nope/converse', converse);
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.text).message).toContain('nope');
  });
});

it('an unknown path outside /model/ gets a JSON error naming it', async () => {
  const res = await post('/v2/whatever', converse);
  expect(res.status).toBe(404);
  expect(JSON.parse(res.text)).toMatchObject({
    error: { code: 'unknown_operation', message: 'no operation at POST /v2/whatever' },
    requestId: res.headers['x-gateway-request-id'],
  });
});

describe('bad input: the right 4xx, a message naming the problem, nothing recorded', () => {
  const cases: [string, () => ReturnType<typeof post>, number, string, RegExp][] = [
    ['malformed JSON', () => post('/model/mangaassist/converse', '{"messages": ['), 400, 'ValidationException', /not valid JSON/],
    ['missing messages', () => post('/model/mangaassist/converse', '{"system": []}'), 400, 'ValidationException', /messages/],
    [
      'empty messages',
      () => post('/model/mangaassist/invoke', '{"messages": []}'),
      400,
      'ValidationException',
      /messages must not be empty/,
    ],
    [
      'body over the limit',
      () => post('/model/mangaassist/converse', JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'x'.repeat(5_000) }] }] })),
      413,
      'ValidationException',
      /4096-byte limit/,
    ],
    [
      'unknown operation',
      () => post('/model/mangaassist/summarise', converse),
      404,
      'UnknownOperationException',
      /unknown operation "summarise"/,
    ],
    [
      'missing key',
      () => post('/model/mangaassist/converse', converse, { authorization: '' }),
      401,
      'UnrecognizedClientException',
      /missing API key/,
    ],
    [
      'wrong key',
      () => post('/model/mangaassist/converse', converse, { authorization: 'Bearer nope' }),
      401,
      'UnrecognizedClientException',
      /unknown API key/,
    ],
    [
      'a SigV4 header without its parts',
      () => post('/model/mangaassist/converse', converse, { authorization: 'AWS4-HMAC-SHA256 Credential=x' }),
      400,
      'IncompleteSignatureException',
      /requires 'SignedHeaders' parameter/,
    ],
    [
      'a SigV4 signature with no SigV4 key configured',
      () =>
        post('/model/mangaassist/converse', converse, {
          authorization: `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/${amzDateNow().slice(0, 8)}/us-east-1/bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`,
          'x-amz-date': amzDateNow(),
        }),
      403,
      'UnrecognizedClientException',
      /The security token included in the request is invalid/,
    ],
  ];
  for (const [name, send, status, type, message] of cases) {
    it(name, async () => {
      const before = stack.sink.observations.length;
      const calls = stack.sim.control.log.length;
      const res = await send();
      expect(res.status).toBe(status);
      expect(res.headers['x-amzn-errortype']).toBe(type);
      const body = JSON.parse(res.text) as { message: string; requestId: string };
      expect(body.message).toMatch(message);
      expect(body.requestId).toBe(res.headers['x-gateway-request-id']);
      await new Promise((r) => setTimeout(r, 20));
      expect(stack.sink.observations.length).toBe(before);
      expect(stack.sim.control.log.length).toBe(calls);
    });
  }
});
