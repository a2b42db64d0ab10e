import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { beforeAll, describe, expect, it } from 'vitest';
import { MemoryLogger } from '../../lib/log/memory.ts';
import type { Observation } from '../../schema/observation.ts';
import { GatewayConfig } from '../../schema/config.ts';
import { MemoryObservationSink } from '../../stores/observations/memory.ts';
import { MemoryShadowAnswers } from '../../stores/shadow-answers/memory.ts';
import { createGatewayApp } from '../app.ts';
import { hashKey, staticApiKeys, type ApiKeyCheck } from '../auth.ts';
import { staticConfig } from '../deps.ts';
import { GatewayError } from '../errors.ts';
import { Lifecycle } from '../lifecycle.ts';
import { initBucketing } from '../routing/bucket.ts';
import type { HttpResponse } from '../upstreams/http/interface.ts';
import type { UpstreamCall, UpstreamResult } from '../upstreams/interface.ts';
import type { ShadowOutcome } from './dispatcher.ts';
import type { CancelSignal } from '../../lib/cancellation.ts';

const price = { inputPer1k: 0.003, outputPer1k: 0.015 };
const CONFIG = GatewayConfig.parse({
  pricing: { 'm-live': price, 'm-cand': price, 'm-backup': price },
  configs: [
    { id: 'live', upstream: { provider: 'bedrock', modelId: 'm-live' }, maxTokens: 100, fallbacks: ['backup'] },
    { id: 'cand', upstream: { provider: 'bedrock', modelId: 'm-cand' }, maxTokens: 100, fallbacks: ['backup'] },
    { id: 'backup', upstream: { provider: 'bedrock', modelId: 'm-backup' }, maxTokens: 100 },
  ],
  routes: [{ name: 'shop', intents: ['faq'], default: 'live', shadow: { faq: { config: 'cand', share: 100 } } }],
});

const encoder = new TextEncoder();
const converseAnswer = (text: string) => ({
  output: { message: { role: 'assistant', content: [{ text }] } },
  stopReason: 'end_turn',
  usage: { inputTokens: 5, outputTokens: 3, totalTokens: 8 },
  metrics: { latencyMs: 1 },
});

/** A whole answer, optionally held until `gate` resolves (or, like a real transport, `signal` aborts the read). */
function answer(status: number, json: unknown, gate?: Promise<void>, signal?: CancelSignal): HttpResponse {
  const bytes = encoder.encode(JSON.stringify(json));
  let sent = false;
  return {
    status,
    header: (name) => (name === 'content-type' ? 'application/json' : null),
    bytes: async () => bytes,
    read: async () => {
      await Promise.race([
        gate,
        new Promise((_, reject) => signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true })),
      ]);
      if (sent) return null;
      sent = true;
      return bytes;
    },
    cancel() {},
  };
}

type Answerer = (call: UpstreamCall) => Promise<UpstreamResult> | UpstreamResult;

async function open(
  options: {
    candidate?: Answerer;
    live?: Answerer;
    maxConcurrency?: number;
    maxBodyBytes?: number;
    keys?: string[];
    auth?: ApiKeyCheck;
  } = {},
) {
  const sink = new MemoryObservationSink();
  const answers = new MemoryShadowAnswers();
  const outcomes: ShadowOutcome[] = [];
  const lifecycle = new Lifecycle();
  const calls: string[] = [];
  const live: Answerer = options.live ?? (() => ({ ok: true, response: answer(200, converseAnswer('live answer')) }));
  const candidate: Answerer = options.candidate ?? (() => ({ ok: true, response: answer(200, converseAnswer('candidate answer')) }));
  const app = createGatewayApp({
    config: staticConfig(CONFIG),
    upstreams: {
      bedrock: {
        call: async (call) => {
          const model = call.target.provider === 'bedrock' ? call.target.modelId : '';
          calls.push(model);
          if (model === 'm-backup') return { ok: true, response: answer(200, converseAnswer('backup answer')) };
          return model === 'm-cand' ? candidate(call) : live(call);
        },
      },
      openai: { call: async () => ({ ok: false, error: new GatewayError('upstream_unavailable', 'none') }) },
    },
    sink,
    telemetry: { observation() {}, feedback() {}, shadow: (o) => outcomes.push(o) },
    auth: options.auth ?? (await staticApiKeys(options.keys ?? [])),
    lifecycle,
    maxBodyBytes: 1 << 20,
    upstreamIdleTimeoutMs: 5_000,
    now: () => performance.now(),
    logger: new MemoryLogger(),
    shadow: { maxConcurrency: options.maxConcurrency ?? 4, maxBodyBytes: options.maxBodyBytes ?? 65_536, answers },
  });
  const converseBody = (session: string | null) =>
    JSON.stringify({
      messages: [{ role: 'user', content: [{ text: 'Where is my order?' }] }],
      requestMetadata: { intent: 'faq', ...(session ? { session_id: session } : {}) },
    });
  const converse = (session: string | null = 'session-1', headers: Record<string, string> = {}) =>
    Promise.resolve(
      app.request('/model/shop/converse', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: converseBody(session),
      }),
    );
  const byTraffic = (traffic: string): Observation[] => sink.observations.filter((o) => o.traffic === traffic);
  return { app, sink, answers, outcomes, lifecycle, calls, converse, converseBody, byTraffic };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
}

beforeAll(initBucketing);

describe('shadow requests', () => {
  it('answer the client from the live configuration, then record the candidate as traffic class shadow with both texts', async () => {
    const g = await open();
    const res = await g.converse();
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(converseAnswer('live answer'));
    await until(() => g.answers.answers.length === 1);
    const [live] = g.byTraffic('live');
    const [shadow] = g.byTraffic('shadow');
    expect(shadow).toMatchObject({
      configId: 'cand',
      upstreamModel: 'm-cand',
      shadowOf: live!.requestId,
      sessionId: 'session-1',
      intent: 'faq',
    });
    expect(shadow).toMatchObject({ arm: 'pinned', experimentId: null, canaryId: null, status: 200, outputTokens: 3 });
    expect(g.answers.answers[0]).toMatchObject({
      liveRequestId: live!.requestId,
      shadowRequestId: shadow!.requestId,
      prompt: 'Where is my order?',
      liveAnswer: 'live answer',
      shadowAnswer: 'candidate answer',
    });
    expect(g.outcomes).toEqual(['sent']);
    expect(g.calls).toEqual(['m-live', 'm-cand']);
  });

  it('with data-plane auth on (a bearer key), the shadow call of an authenticated request passes', async () => {
    const key = 'gk-shadow-test-key-000000000001';
    const g = await open({ keys: [key] });
    expect((await g.converse('session-1')).status).toBe(401);
    expect((await g.converse('session-1', { authorization: `Bearer ${key}` })).status).toBe(200);
    await until(() => g.byTraffic('shadow').length === 1);
    expect(g.byTraffic('shadow')[0]).toMatchObject({ status: 200, configId: 'cand' });
    expect(g.outcomes).toEqual(['sent']);
  });

  it('a SigV4-signed live request gets its shadow call answered (the copy needs no credential of its own)', async () => {
    const pair = { accessKeyId: 'GWKAQRSTUVWXYZ234567', secretAccessKey: 'Yb2s9Q0x1c2d3e4f5g6h7i8j9k0l1m2n3o4p5q6r' };
    const bearer = await hashKey('gk-other-key');
    const auth: ApiKeyCheck = {
      enabled: () => true,
      isValid: async (key) => (await hashKey(key)) === bearer,
      sigv4Secret: async (id) => (id === pair.accessKeyId ? pair.secretAccessKey : undefined),
    };
    const g = await open({ auth });
    const url = new URL('http://gateway.test:8080/model/shop/converse');
    const body = JSON.stringify({
      messages: [{ role: 'user', content: [{ text: 'Where is my order?' }] }],
      requestMetadata: { intent: 'faq', session_id: 'session-1' },
    });
    const signer = new SignatureV4({ service: 'bedrock', region: 'us-west-2', credentials: pair, sha256: Sha256, applyChecksum: false });
    const signed = await signer.sign({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      headers: { host: url.host, 'content-type': 'application/json' },
      body,
      query: {},
    });
    const res = await g.app.request(url.toString(), { method: 'POST', headers: signed.headers as Record<string, string>, body });
    expect(res.status).toBe(200);
    await until(() => g.byTraffic('shadow').length === 1);
    expect(g.byTraffic('shadow')[0]).toMatchObject({ status: 200, errorCode: null, configId: 'cand' });
    expect(g.outcomes).toEqual(['sent']);
  });

  it('a client request cannot skip auth by looking like a shadow copy (same headers, same body)', async () => {
    const g = await open({ keys: ['gk-shadow-test-key-000000000001'] });
    const res = await g.converse('session-1', { 'x-intent': 'faq', 'x-session-id': 'session-1' });
    expect(res.status).toBe(401);
    expect(g.calls).toEqual([]);
  });

  it('a failing candidate never falls back: one attempt, recorded as failed, its fallback never called', async () => {
    const g = await open({ candidate: () => ({ ok: true, response: answer(503, { message: 'busy' }) }) });
    expect((await g.converse()).status).toBe(200);
    await until(() => g.outcomes.includes('failed'));
    expect(g.byTraffic('shadow')[0]).toMatchObject({ status: 503, configId: 'cand', attempts: 1, servedConfigId: null });
    expect(g.calls).toEqual(['m-live', 'm-cand']);
  });

  it('a live answer served by a fallback is not kept as the live configuration answer', async () => {
    const g = await open({ live: () => ({ ok: true, response: answer(503, { message: 'busy' }) }) });
    const res = await g.converse();
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(converseAnswer('backup answer'));
    await until(() => g.answers.answers.length === 1);
    expect(g.byTraffic('live')[0]).toMatchObject({ configId: 'live', servedConfigId: 'backup' });
    expect(g.answers.answers[0]).toMatchObject({ liveAnswer: null, shadowAnswer: 'candidate answer' });
    expect(g.calls).toEqual(['m-live', 'm-backup', 'm-cand']);
  });

  it('a failing candidate (error answer or unreachable) changes nothing for the client and is counted as failed', async () => {
    const failing: Answerer[] = [
      () => ({ ok: true, response: answer(500, { message: 'boom' }) }),
      () => ({ ok: false, error: new GatewayError('upstream_unavailable', 'connection refused') }),
      () => {
        throw new Error('the candidate client threw');
      },
    ];
    for (const candidate of failing) {
      const g = await open({ candidate });
      const res = await g.converse();
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual(converseAnswer('live answer'));
      await until(() => g.outcomes.includes('failed'));
      expect(g.outcomes).toEqual(['sent', 'failed']);
      expect(g.byTraffic('live')).toHaveLength(1);
      expect(g.byTraffic('live')[0]).toMatchObject({ status: 200, errorCode: null });
    }
  });

  it('over budget, a shadow request is dropped and counted, never queued; the running one keeps the shutdown waiting', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const g = await open({ maxConcurrency: 1, candidate: () => ({ ok: true, response: answer(200, converseAnswer('slow'), gate) }) });
    expect((await g.converse('session-1')).status).toBe(200);
    await until(() => g.calls.length === 2);
    expect((await g.converse('session-2')).status).toBe(200);
    expect(g.outcomes).toEqual(['sent', 'dropped_budget']);
    expect(g.lifecycle.active).toBeGreaterThan(0);
    release();
    await until(() => g.byTraffic('shadow').length === 1);
    expect(await g.lifecycle.settled(2_000)).toBe(true);
    expect(g.calls).toEqual(['m-live', 'm-cand', 'm-live']);
  });

  it('a live request that ends while the gateway drains gets no shadow: counted as dropped_shutdown', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const g = await open({ live: () => ({ ok: true, response: answer(200, converseAnswer('live answer'), gate) }) });
    const pending = g.converse();
    await until(() => g.calls.length === 1);
    g.lifecycle.startDraining();
    release();
    expect((await pending).status).toBe(200);
    expect(g.outcomes).toEqual(['dropped_shutdown']);
    expect(g.calls).toEqual(['m-live']);
  });

  it('a shadow cut by the shutdown is recorded as shutdown_abort and the lifecycle settles', async () => {
    const never = new Promise<void>(() => {});
    const g = await open({ candidate: (call) => ({ ok: true, response: answer(200, converseAnswer('never'), never, call.signal) }) });
    expect((await g.converse()).status).toBe(200);
    await until(() => g.calls.length === 2);
    expect(await g.lifecycle.settled(50)).toBe(false);
    g.lifecycle.cutInFlight();
    await until(() => g.byTraffic('shadow').length === 1);
    expect(g.byTraffic('shadow')[0]).toMatchObject({ errorCode: 'shutdown_abort' });
    expect(await g.lifecycle.settled(2_000)).toBe(true);
  });

  it('bodies over SHADOW_MAX_BODY_BYTES and requests without a session are not shadowed', async () => {
    const small = await open({ maxBodyBytes: 16 });
    expect((await small.converse()).status).toBe(200);
    expect(small.outcomes).toEqual(['dropped_body']);
    const anonymous = await open();
    expect((await anonymous.converse(null)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 20));
    expect(anonymous.outcomes).toEqual([]);
    expect(anonymous.calls).toEqual(['m-live']);
  });

  it('eval traffic is not shadowed, and a client cannot claim the shadow class: 400 naming the header, nothing recorded', async () => {
    const g = await open();
    expect((await g.converse('session-1', { 'x-gateway-traffic': 'eval' })).status).toBe(200);
    const res = await g.converse('session-1', { 'x-gateway-traffic': 'shadow' });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-amzn-errortype')).toContain('ValidationException');
    expect((await res.json()).message).toBe(
      'x-gateway-traffic must be one of live, eval, warmup, got "shadow" (shadow is set by the gateway itself, never by a client)',
    );
    await new Promise((r) => setTimeout(r, 20));
    expect(g.sink.observations.map((o) => o.traffic)).toEqual(['eval']);
    expect(g.calls).toEqual(['m-live']);
    expect(g.outcomes).toEqual([]);
  });
});
