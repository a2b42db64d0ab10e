import { beforeAll, describe, expect, it } from 'vitest';
import { converseBody, converseStream, invokeBody, readFrames, readSse, USAGE } from '../contract/answers.ts';
import { reset } from '../contract/scripted-upstream.ts';
import { initBucketing } from '../routing/bucket.ts';
import { parseGatewayConfig } from '../config/load.ts';
import { CONFIG, failing, json, openFallbackApp as open, paths, throttled } from './fallback-harness.ts';

describe('fallbacks through the app', () => {
  beforeAll(() => initBucketing());

  it('a throttled Converse call is answered by the fallback; the observation keeps the assigned arm and records the serving one', async () => {
    const h = open();
    h.upstream.next(throttled);
    h.upstream.next(json(converseBody));
    const res = await h.converse();
    expect(res.status).toBe(200);
    expect(((await res.json()) as { output: unknown }).output).toMatchObject({ message: { content: [{ text: 'One Piece' }] } });
    expect(res.headers.get('x-gateway-config')).toBe('primary');
    expect(res.headers.get('x-gateway-arm')).toBe('control');
    expect(res.headers.get('x-gateway-served-config')).toBe('backup');
    expect(res.headers.get('x-gateway-attempts')).toBe('2');
    expect(paths(h.upstream)).toEqual(['/model/primary-model/converse', '/model/backup-model/converse']);
    expect(h.sink.observations).toHaveLength(1);
    expect(h.sink.observations[0]).toMatchObject({
      configId: 'primary',
      arm: 'control',
      experimentId: 'exp',
      servedConfigId: 'backup',
      attempts: 2,
      upstreamModel: 'backup-model',
      status: 200,
      errorCode: null,
      inputTokens: USAGE.inputTokens,
    });
    expect(h.sink.observations[0]!.costUsd).toBeCloseTo((USAGE.inputTokens * 3 + USAGE.outputTokens * 4) / 1000, 12);
    expect(h.sink.observations[0]!.failedAttempts).toEqual([
      { configId: 'primary', status: 429, errorCode: 'ThrottlingException', ms: expect.any(Number) },
    ]);
    expect(await h.metrics()).toContain(
      'gateway_fallbacks_total{route="r-main",from_config="primary",to_config="backup",reason="throttled"} 1',
    );
  });

  it('a fallback whose model is a cross-region inference profile is priced as its base model', async () => {
    const configs = CONFIG.configs.map((c) =>
      c.id === 'backup' ? { ...c, upstream: { provider: 'bedrock', modelId: 'us.backup-model' } } : c,
    );
    const h = open({ config: parseGatewayConfig({ ...CONFIG, configs }) });
    h.upstream.next(throttled);
    h.upstream.next(json(converseBody));
    expect((await h.converse()).status).toBe(200);
    expect(paths(h.upstream)).toEqual(['/model/primary-model/converse', '/model/us.backup-model/converse']);
    expect(h.sink.observations[0]).toMatchObject({ servedConfigId: 'backup', upstreamModel: 'us.backup-model' });
    expect(h.sink.observations[0]!.costUsd).toBeCloseTo((USAGE.inputTokens * 3 + USAGE.outputTokens * 4) / 1000, 9);
  });

  it('logs one info line per fallback, with the request id, and no request-failed line when the fallback answered', async () => {
    const h = open();
    h.upstream.next(throttled);
    h.upstream.next(json(converseBody));
    const res = await h.converse();
    const lines = h.logger.find('fallback');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'info',
      fields: {
        requestId: res.headers.get('x-gateway-request-id'),
        route: 'r-main',
        from: 'primary',
        to: 'backup',
        reason: 'throttled',
        attempt: 1,
      },
    });
    // Backoff with random 0.5 and base 1 ms, cap 1 ms: 0.75 ms, rounded.
    expect(lines[0]!.fields.delayMs).toBe(1);
    expect(h.logger.find('request failed')).toHaveLength(0);
  });

  it('a call answered at once records one attempt and no serving configuration', async () => {
    const h = open();
    h.upstream.next(json(converseBody));
    const res = await h.converse();
    expect(res.status).toBe(200);
    expect(res.headers.get('x-gateway-served-config')).toBeNull();
    expect(h.sink.observations[0]).toMatchObject({
      configId: 'primary',
      attempts: 1,
      servedConfigId: null,
      upstreamModel: 'primary-model',
      failedAttempts: null,
    });
    expect(await h.metrics()).not.toContain('gateway_fallbacks_total{');
  });

  it('a ConverseStream call whose model answers 503 before streaming is streamed from the fallback', async () => {
    const h = open();
    h.upstream.next(failing(503));
    h.upstream.next({ status: 200, headers: { 'content-type': 'application/vnd.amazon.eventstream' }, body: converseStream() });
    const res = await h.converse('converse-stream');
    expect(res.status).toBe(200);
    const frames = readFrames(new Uint8Array(await res.arrayBuffer()));
    expect(frames.map((f) => f.type)).toEqual([
      'messageStart',
      'contentBlockDelta',
      'contentBlockDelta',
      'contentBlockStop',
      'messageStop',
      'metadata',
    ]);
    expect(h.sink.observations).toHaveLength(1);
    expect(h.sink.observations[0]).toMatchObject({ status: 200, attempts: 2, servedConfigId: 'backup', streamed: true });
    expect(await h.metrics()).toContain('reason="server_error"} 1');
  });

  it('never retries a 4xx client error: the ValidationException goes back after one attempt', async () => {
    const h = open();
    h.upstream.next({ status: 400, headers: { 'x-amzn-errortype': 'ValidationException' }, body: ['{"message":"bad input"}'] });
    h.upstream.next(json(converseBody));
    const res = await h.converse();
    expect(res.status).toBe(400);
    expect(res.headers.get('x-amzn-errortype')).toBe('ValidationException');
    expect(h.upstream.pending).toBe(1);
    expect(h.sink.observations[0]).toMatchObject({ status: 400, errorCode: 'ValidationException', attempts: 1, servedConfigId: null });
  });

  it('never retries once the stream began: a reset after the first frames ends the answer with an error frame', async () => {
    const h = open();
    h.upstream.next({ status: 200, body: [...converseStream().slice(0, 2), reset()] });
    h.upstream.next({ status: 200, body: converseStream() });
    const res = await h.converse('converse-stream');
    const frames = readFrames(new Uint8Array(await res.arrayBuffer()));
    expect(frames.map((f) => f.messageType)).toEqual(['event', 'event', 'exception']);
    expect(h.upstream.pending).toBe(1);
    expect(h.sink.observations).toHaveLength(1);
    expect(h.sink.observations[0]).toMatchObject({ errorCode: 'upstream_reset', attempts: 1, servedConfigId: null });
  });

  it('when every configuration fails, the last error goes back and is recorded with the attempts made', async () => {
    const h = open();
    h.upstream.next(throttled);
    h.upstream.next(failing(500));
    h.upstream.next({ status: 429, body: ['{"error":{"message":"slow down","type":"rate_limit_error"}}'] });
    const res = await h.converse();
    expect(res.status).toBe(429);
    expect(res.headers.get('x-amzn-errortype')).toBe('ThrottlingException');
    expect(paths(h.upstream)).toEqual(['/model/primary-model/converse', '/model/backup-model/converse', '/v1/chat/completions']);
    expect(h.sink.observations).toHaveLength(1);
    expect(h.sink.observations[0]).toMatchObject({
      status: 429,
      errorCode: 'ThrottlingException',
      attempts: 3,
      configId: 'primary',
      servedConfigId: 'oai',
      upstreamModel: 'openai-model',
    });
    expect(h.sink.observations[0]!.failedAttempts?.map((a) => [a.configId, a.status, a.errorCode])).toEqual([
      ['primary', 429, 'ThrottlingException'],
      ['backup', 500, 'InternalServerException'],
    ]);
  });

  it('stops at FALLBACK_MAX_ATTEMPTS', async () => {
    const h = open({ policy: { maxAttempts: 2 } });
    h.upstream.next(throttled);
    h.upstream.next(failing(502));
    h.upstream.next(json(converseBody));
    const res = await h.converse();
    expect(res.status).toBe(502);
    expect(h.upstream.pending).toBe(1);
    expect(h.sink.observations[0]).toMatchObject({ attempts: 2, servedConfigId: 'backup', status: 502 });
  });

  it('makes no attempt that would start after the time budget', async () => {
    const h = open({ policy: { budgetMs: 5, baseDelayMs: 10, maxDelayMs: 10 } });
    h.upstream.next(throttled);
    h.upstream.next(json(converseBody));
    const res = await h.converse();
    expect(res.status).toBe(429);
    expect(h.upstream.pending).toBe(1);
    expect(h.sink.observations[0]).toMatchObject({ attempts: 1, errorCode: 'ThrottlingException' });
  });

  it('an unreachable endpoint is retried on the fallback', async () => {
    let calls = 0;
    const h = open({
      transport: (inner) => async (request) => {
        calls += 1;
        if (calls === 1) throw new Error('connect ECONNREFUSED 10.0.0.1:443');
        return inner(request);
      },
    });
    h.upstream.next(json(converseBody));
    const res = await h.converse();
    expect(res.status).toBe(200);
    expect(h.sink.observations[0]).toMatchObject({ attempts: 2, servedConfigId: 'backup', status: 200 });
    expect(h.sink.observations[0]!.failedAttempts).toMatchObject([{ configId: 'primary', status: 503, errorCode: 'upstream_unavailable' }]);
    expect(await h.metrics()).toContain('reason="unreachable"} 1');
  });

  it('a pinned call (config:<id>) tries its configuration only', async () => {
    const h = open();
    h.upstream.next(throttled);
    h.upstream.next(json(converseBody));
    const res = await h.converse('converse', 'config:primary');
    expect(res.status).toBe(429);
    expect(h.upstream.pending).toBe(1);
    expect(h.sink.observations[0]).toMatchObject({ arm: 'pinned', attempts: 1 });
  });

  it('InvokeModel skips a fallback that cannot take an Anthropic body (an OpenAI-compatible one)', async () => {
    const h = open();
    h.upstream.next(throttled);
    h.upstream.next(throttled);
    h.upstream.next(json(invokeBody));
    const res = await h.invoke();
    expect(res.status).toBe(429);
    expect(paths(h.upstream)).toEqual(['/model/primary-model/invoke', '/model/backup-model/invoke']);
    expect(h.upstream.pending).toBe(1);
    expect(h.sink.observations[0]).toMatchObject({ attempts: 2, servedConfigId: 'backup' });
  });

  it('skips a fallback whose translation refuses the request (an image for an OpenAI-compatible model): the throttling goes back', async () => {
    const h = open();
    h.upstream.next(throttled);
    h.upstream.next(throttled);
    h.upstream.next(json(converseBody));
    const image = { image: { format: 'png', source: { bytes: 'iVBORw0KGgo=' } } };
    const res = await h.post('/model/r-main/converse', { messages: [{ role: 'user', content: [{ text: 'what is this?' }, image] }] });
    expect(res.status).toBe(429);
    expect(res.headers.get('x-amzn-errortype')).toMatch(/^ThrottlingException/);
    expect(paths(h.upstream)).toEqual(['/model/primary-model/converse', '/model/backup-model/converse']);
    expect(h.upstream.pending).toBe(1);
    expect(h.sink.observations).toHaveLength(1);
    expect(h.sink.observations[0]).toMatchObject({ status: 429, errorCode: 'ThrottlingException', attempts: 2, servedConfigId: 'backup' });
  });

  it('skips an OpenAI-compatible fallback for a Converse call with a guardrailConfig (it would answer unguarded)', async () => {
    const h = open();
    h.upstream.next(throttled);
    h.upstream.next(throttled);
    h.upstream.next(json(converseBody));
    const guardrailConfig = { guardrailIdentifier: 'gr-1', guardrailVersion: '1' };
    const res = await h.post('/model/r-main/converse', { messages: [{ role: 'user', content: [{ text: 'hi' }] }], guardrailConfig });
    expect(res.status).toBe(429);
    expect(paths(h.upstream)).toEqual(['/model/primary-model/converse', '/model/backup-model/converse']);
    expect(JSON.parse(h.upstream.requests[1]!.body).guardrailConfig).toEqual(guardrailConfig);
    expect(h.upstream.pending).toBe(1);
    expect(h.sink.observations[0]).toMatchObject({ status: 429, attempts: 2, servedConfigId: 'backup' });
  });

  it('a Chat Completions call whose OpenAI-compatible model fails falls back to a Bedrock configuration, translated', async () => {
    const h = open();
    h.upstream.next(failing(500));
    h.upstream.next(json(converseBody));
    const res = await h.chat('r-oai');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { choices: { message: { content: string } }[] };
    expect(body.choices[0]!.message.content).toBe('One Piece');
    expect(paths(h.upstream)).toEqual(['/v1/chat/completions', '/model/backup-model/converse']);
    expect(h.sink.observations[0]).toMatchObject({ configId: 'oai-first', servedConfigId: 'backup', attempts: 2 });
  });

  it('a client gone during the backoff ends the call as client_abort, without another attempt', async () => {
    const h = open({ policy: { baseDelayMs: 5_000, maxDelayMs: 5_000 } });
    const controller = new AbortController();
    h.upstream.next(throttled);
    h.upstream.next(json(converseBody));
    const pending = h.converse('converse', 'r-main', controller.signal);
    // The throttled answer is cancelled unread just before the backoff starts.
    while (h.upstream.cancelled === 0) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    await pending.catch(() => null);
    await new Promise((r) => setTimeout(r, 20));
    expect(h.upstream.pending).toBe(1);
    expect(h.sink.observations).toHaveLength(1);
    expect(h.sink.observations[0]).toMatchObject({ errorCode: 'client_abort', attempts: 1 });
  });

  it('a streamed Chat Completions call whose model throttles is streamed, translated, from the Bedrock fallback', async () => {
    const h = open();
    h.upstream.next({ status: 429, body: ['{"error":{"message":"slow down","type":"rate_limit_error"}}'] });
    h.upstream.next({ status: 200, body: converseStream() });
    const res = await h.chat('r-oai', true);
    expect(res.status).toBe(200);
    const events = readSse(await res.text());
    expect(events.at(-1)).toBe('[DONE]');
    const text = events
      .filter((e): e is Record<string, unknown> => e !== '[DONE]')
      .map((e) => (e.choices as { delta?: { content?: string } }[])[0]?.delta?.content ?? '')
      .join('');
    expect(text).toBe('One Piece');
    expect(paths(h.upstream)).toEqual(['/v1/chat/completions', '/model/backup-model/converse-stream']);
    expect(h.sink.observations).toHaveLength(1);
    expect(h.sink.observations[0]).toMatchObject({
      status: 200,
      streamed: true,
      attempts: 2,
      servedConfigId: 'backup',
      outputTokens: USAGE.outputTokens,
    });
  });
  it('a fallback that cannot translate the request is skipped: the throttled answer goes back, not a 400 about the content', async () => {
    const h = open();
    h.upstream.next({ status: 429, body: ['{"error":{"message":"slow down","type":"rate_limit_error"}}'] });
    h.upstream.next(json(converseBody));
    const image = { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } };
    const res = await h.post('/v1/chat/completions', { model: 'r-oai', messages: [{ role: 'user', content: [image] }] });
    expect(res.status).toBe(429);
    expect(paths(h.upstream)).toEqual(['/v1/chat/completions']);
    expect(h.upstream.pending).toBe(1);
    expect(h.sink.observations).toHaveLength(1);
    expect(h.sink.observations[0]).toMatchObject({ configId: 'oai-first', status: 429, attempts: 1, servedConfigId: null });
  });

  it('a shutdown during the backoff ends the call as shutdown_abort, without another attempt', async () => {
    const h = open({ policy: { baseDelayMs: 5_000, maxDelayMs: 5_000 } });
    h.upstream.next(throttled);
    h.upstream.next(json(converseBody));
    const pending = h.converse();
    while (h.upstream.cancelled === 0) await new Promise((r) => setTimeout(r, 5));
    h.lifecycle.startDraining();
    expect(h.lifecycle.cutInFlight()).toBe(1);
    const res = await pending;
    expect(res.status).toBe(503);
    expect(h.upstream.pending).toBe(1);
    expect(h.sink.observations).toHaveLength(1);
    expect(h.sink.observations[0]).toMatchObject({ status: 503, errorCode: 'shutdown_abort', attempts: 1, configId: 'primary' });
  });
});
