import { beforeAll, describe, expect, it } from 'vitest';
import { MemoryLogger } from '../lib/log/memory.ts';
import { MemoryObservationSink } from '../stores/observations/memory.ts';
import { createGatewayApp } from './app.ts';
import { staticApiKeys } from './auth.ts';
import { CONFIG } from './contract/harness.ts';
import { converseStream, exceptionEvent } from './contract/answers.ts';
import { reset, ScriptedUpstream, type Step } from './contract/scripted-upstream.ts';
import { staticConfig } from './deps.ts';
import { Lifecycle } from './lifecycle.ts';
import { initBucketing } from './routing/bucket.ts';
import { noTelemetry } from './telemetry/interface.ts';
import { bedrockUpstream } from './upstreams/bedrock/client.ts';
import { openaiUpstream } from './upstreams/openai/client.ts';

const KEY = 'gk-request-log-data-plane-key-0001';
const AWS_SECRET = 'aws-secret-access-key-request-log-0001';
const SESSION = 'session-request-log-0001';

beforeAll(() => initBucketing());

/** An app with a data-plane key, SigV4 upstream credentials, a scripted upstream and a memory logger. */
async function open() {
  const upstream = new ScriptedUpstream();
  const logger = new MemoryLogger();
  const sink = new MemoryObservationSink();
  const app = createGatewayApp({
    config: staticConfig(CONFIG),
    upstreams: {
      bedrock: bedrockUpstream({
        endpoint: 'http://bedrock.test',
        region: 'us-east-1',
        credentials: { accessKeyId: 'AKIDREQUESTLOG0001', secretAccessKey: AWS_SECRET },
        transport: upstream.transport,
      }),
      openai: openaiUpstream({ transport: upstream.transport, env: () => undefined }),
    },
    sink,
    telemetry: noTelemetry,
    auth: await staticApiKeys([KEY]),
    lifecycle: new Lifecycle(),
    maxBodyBytes: 1 << 20,
    upstreamIdleTimeoutMs: 1_000,
    now: () => performance.now(),
    logger,
  });
  const headers = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', 'x-intent': 'faq', 'x-session-id': SESSION };
  const post = (path: string, body: unknown) => Promise.resolve(app.request(path, { method: 'POST', headers, body: JSON.stringify(body) }));
  const converse = () => post('/model/r-bed/converse', { messages: [{ role: 'user', content: [{ text: 'secret question' }] }] });
  return { app, upstream, logger, sink, post, converse };
}

const THROTTLED = {
  status: 429,
  headers: { 'x-amzn-errortype': 'ThrottlingException:http://internal.amazon.com/coral/' },
  body: ['{"message":"slow down"}'],
};

describe('request log lines', () => {
  it('an upstream error gives one "request failed" line with routing, status, code, model and latency', async () => {
    const t = await open();
    t.upstream.next(THROTTLED);
    const res = await t.converse();
    expect(res.status).toBe(429);
    const lines = t.logger.find('request failed');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.level).toBe('warn');
    expect(lines[0]!.fields).toMatchObject({
      requestId: res.headers.get('x-gateway-request-id'),
      route: 'r-bed',
      intent: 'faq',
      config: 'bed',
      arm: t.sink.observations[0]!.arm,
      status: 429,
      errorCode: 'ThrottlingException',
      upstreamModel: 'bedrock-model',
      operation: 'converse',
    });
    expect(lines[0]!.fields.latencyMs).toEqual(expect.any(Number));
  });

  it('an unreachable upstream is an error-level line', async () => {
    const t = await open();
    const res = await t.converse();
    expect(res.status).toBeGreaterThanOrEqual(500);
    const lines = t.logger.find('request failed');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.level).toBe('error');
    expect(lines[0]!.fields.status).toBe(res.status);
  });

  it('a refusal after routing gives one line; the body and the session id are never in it', async () => {
    const t = await open();
    const res = await t.post('/v1/chat/completions', {
      model: 'r-bed',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'secret question' },
            { type: 'image_url', image_url: { url: 'x' } },
          ],
        },
      ],
    });
    expect(res.status).toBe(400);
    const lines = t.logger.find('request failed');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.fields).toMatchObject({ route: 'r-bed', config: 'bed', status: 400, errorCode: 'invalid_request' });
    expect(t.logger.text()).not.toContain('secret question');
    expect(t.logger.text()).not.toContain(SESSION);
  });

  it('a completed request logs nothing; a refusal before routing only a debug line', async () => {
    const t = await open();
    t.upstream.next({
      headers: { 'content-type': 'application/json' },
      body: [JSON.stringify({ output: { message: { role: 'assistant', content: [{ text: 'ok' }] } }, stopReason: 'end_turn', usage: {} })],
    });
    expect((await t.converse()).status).toBe(200);
    const unauthenticated = await t.app.request('/model/r-bed/converse', { method: 'POST', body: '{}' });
    expect(unauthenticated.status).toBe(401);
    expect(t.logger.entries).toEqual([
      {
        level: 'debug',
        msg: 'request refused',
        fields: {
          requestId: unauthenticated.headers.get('x-gateway-request-id'),
          path: '/model/r-bed/converse',
          status: 401,
          errorCode: 'unauthenticated',
        },
      },
    ]);
  });

  it('a body over the size limit is refused before routing with a debug line, like every other refusal', async () => {
    const t = await open();
    const res = await t.post('/model/r-bed/converse', { padding: 'x'.repeat((1 << 20) + 1) });
    expect(res.status).toBe(413);
    expect(t.logger.entries).toEqual([
      {
        level: 'debug',
        msg: 'request refused',
        fields: {
          requestId: res.headers.get('x-gateway-request-id'),
          path: '/model/r-bed/converse',
          status: 413,
          errorCode: 'payload_too_large',
        },
      },
    ]);
  });

  it('never logs the data-plane key, the bearer header or the AWS secret, though each was used', async () => {
    const t = await open();
    t.upstream.next(THROTTLED);
    await t.converse();
    await t.converse(); // no script left: the upstream call fails
    await t.app.request('/model/r-bed/converse', {
      method: 'POST',
      headers: { authorization: 'Bearer wrong-key-request-log' },
      body: '{}',
    });
    expect(t.upstream.requests[0]!.headers.authorization).toContain('AKIDREQUESTLOG0001');
    expect(t.logger.find('request failed')).toHaveLength(2);
    const text = t.logger.text();
    for (const secret of [KEY, `Bearer ${KEY}`, AWS_SECRET, 'wrong-key-request-log', t.upstream.requests[0]!.headers.authorization!])
      expect(text).not.toContain(secret);
  });
});

describe('request log lines of streamed answers', () => {
  const streamPath = '/model/r-bed/converse-stream';
  const body = JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'secret question' }] }] });

  /** Sends a ConverseStream call whose upstream answers with `steps`, and reads the client's stream to its end. */
  async function streamed(steps: Step[]) {
    const t = await open();
    t.upstream.next({ headers: { 'content-type': 'application/vnd.amazon.eventstream' }, body: steps });
    const res = await t.app.request(streamPath, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', 'x-intent': 'faq' },
      body,
    });
    await res.arrayBuffer().catch(() => undefined);
    return { ...t, res };
  }

  it('a completed stream logs nothing', async () => {
    const t = await streamed(converseStream());
    expect(t.res.status).toBe(200);
    expect(t.sink.observations).toHaveLength(1);
    expect(t.logger.find('request failed')).toEqual([]);
  });

  it('a stream cut by an upstream reset gives exactly one error line', async () => {
    const t = await streamed([...converseStream().slice(0, 2), reset()]);
    const lines = t.logger.find('request failed');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.level).toBe('error');
    expect(lines[0]!.fields).toMatchObject({ status: 502, errorCode: 'upstream_reset', operation: 'converse-stream' });
  });

  it("an upstream error frame mid-answer gives exactly one line at its status's level", async () => {
    const t = await streamed([...converseStream().slice(0, 2), exceptionEvent('throttlingException', 'slow down')]);
    const obs = t.sink.observations;
    expect(obs).toHaveLength(1);
    expect(obs[0]!.errorCode).toBe('ThrottlingException');
    const lines = t.logger.find('request failed');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.fields).toMatchObject({ status: obs[0]!.status, errorCode: obs[0]!.errorCode });
    expect(lines[0]!.level).toBe(obs[0]!.status >= 500 ? 'error' : 'warn');
  });
});
