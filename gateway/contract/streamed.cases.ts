import { describe, expect, it } from 'vitest';
import type { Observation } from '../../schema/observation.ts';
import { chatStream, converseStream, USAGE } from './answers.ts';
import {
  capabilitiesOf,
  IDLE_MS,
  openHarness,
  readChunks,
  readUnits,
  unitsOf,
  type DataPlaneTarget,
  type Harness,
  type Unit,
} from './harness.ts';
import { STREAM_KINDS, type StreamKind } from './kinds.ts';
import { reset, STALL, type Step } from './scripted-upstream.ts';

/** Glues a script's units together and cuts them again every `size` bytes, so units arrive split across chunks. */
function rechunk(steps: Step[], size: number): Uint8Array[] {
  const bytes = Buffer.concat(steps.map((s) => (typeof s === 'string' ? Buffer.from(s) : Buffer.from(s as Uint8Array))));
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(new Uint8Array(bytes.subarray(i, i + size)));
  return out;
}

function half(step: Step): Step {
  return typeof step === 'string' ? step.slice(0, step.length >> 1) : (step as Uint8Array).subarray(0, (step as Uint8Array).length >> 1);
}

/** The one observation of the request that got `res`. */
function onlyObservation(h: Harness, res: Response): Observation {
  expect(h.sink.observations).toHaveLength(1);
  const obs = h.sink.observations[0]!;
  expect(obs.requestId).toBe(res.headers.get('x-gateway-request-id'));
  return obs;
}

/** The client's stream ended normally: no error unit, and the protocol's normal last unit. */
function expectNormalEnd(kind: StreamKind, units: Unit[]): void {
  if (kind.client === 'openai') {
    expect(units.at(-1)).toBe('[DONE]');
    expect(units.some((u) => typeof u === 'object' && 'error' in u)).toBe(false);
  } else {
    expect(units.every((u) => typeof u === 'object' && u.messageType === 'event')).toBe(true);
  }
}

/** The client's stream ended with its protocol's error unit (never `[DONE]`); returns its type and code. */
function errorEnd(kind: StreamKind, units: Unit[]): { type: string; code?: unknown } {
  const last = units.at(-1) as Record<string, unknown>;
  if (kind.client === 'openai') {
    expect(units).not.toContain('[DONE]');
    expect(last.error).toMatchObject({ message: expect.any(String) });
    return last.error as { type: string; code: unknown };
  }
  expect(last.messageType).toBe('exception');
  expect((last.json as { message?: unknown }).message).toEqual(expect.any(String));
  return { type: last.type as string };
}

/** The error unit a client gets for an ending of the gateway's own. */
function expectGatewayError(kind: StreamKind, units: Unit[], code: string, bedrockMember: string): void {
  const error = errorEnd(kind, units);
  if (kind.client === 'openai') expect(error.code).toBe(code);
  else expect(error.type).toBe(bedrockMember);
}

const hasUsageChunk = (units: Unit[]): boolean => units.some((u) => typeof u === 'object' && 'usage' in u && u.usage !== null);

/** Chat Completions streams: the usage-only chunk reaches only clients that asked for it; usage is metered either way. */
function usageOnlyCases(target: DataPlaneTarget): void {
  describe('usage-only chunks', () => {
    const rows: [string, string, boolean, () => Step[]][] = [
      ['passed through', 'r-oai', true, chatStream],
      ['passed through', 'r-oai', false, chatStream],
      ['translated from a Bedrock stream', 'r-bed', true, converseStream],
      ['translated from a Bedrock stream', 'r-bed', false, converseStream],
    ];
    it.each(rows)('%s (route %s) with include_usage %s', async (_how, model, includeUsage, body) => {
      const h = openHarness(target);
      h.upstream.next({ body: body() });
      const res = await h.chat(model, true, includeUsage ? { stream_options: { include_usage: true } } : {});
      const units = await readUnits(res, 'openai');
      expect(hasUsageChunk(units)).toBe(includeUsage);
      expect(units.at(-1)).toBe('[DONE]');
      // The upstream is always asked for usage, so metering never misses it.
      if (model === 'r-oai') expect(JSON.parse(h.upstream.requests[0]!.body)).toMatchObject({ stream_options: { include_usage: true } });
      expect(onlyObservation(h, res)).toMatchObject({ status: 200, ...USAGE });
    });
  });
}

/** Chat Completions upstreams (passed through or translated): an event whose JSON is cut short is a malformed answer. */
function chatJsonCases(target: DataPlaneTarget): void {
  const truncated = 'data: {"choices":[{"index":0,"delta":{"content":"One"\n\n';
  describe.each(STREAM_KINDS.filter((kind) => kind.units === chatStream))('$name', (kind) => {
    it('an event whose data is JSON cut short ends with an error unit, recorded as upstream_malformed', async () => {
      const h = openHarness(target);
      const [first, ...rest] = chatStream();
      h.upstream.next({ body: [first!, truncated, ...rest] });
      const res = await kind.send(h);
      expectGatewayError(kind, await readUnits(res, kind.client), 'upstream_malformed', 'modelStreamErrorException');
      expect(onlyObservation(h, res)).toMatchObject({ status: 502, errorCode: 'upstream_malformed' });
    });
  });
}

/** A harness whose upstream answers `status` with `steps`. */
function started(target: DataPlaneTarget, steps: Step[], status = 200): Harness {
  const h = openHarness(target);
  h.upstream.next({ status, body: steps });
  return h;
}

/** Every streamed operation: how it completes, how upstream errors pass, and every way it can be cut short. */
export function streamedCases(target: DataPlaneTarget): void {
  usageOnlyCases(target);
  chatJsonCases(target);
  describe.each(STREAM_KINDS)('$name', (kind) => {
    const start = (steps: Step[], status = 200): Harness => started(target, steps, status);

    it('completes: only whole units reach the client, usage is metered, one observation', async () => {
      const h = start(rechunk(kind.units(), 13));
      const res = await kind.send(h);
      expect(res.status).toBe(200);
      expectNormalEnd(kind, await readUnits(res, kind.client));
      const obs = onlyObservation(h, res);
      expect(obs).toMatchObject({ status: 200, errorCode: null, ...USAGE, streamed: true, operation: kind.operation });
      expect(obs.ttftMs).not.toBeNull();
      expect(obs.costUsd).toBeGreaterThan(0);
    });

    it('a client slower than the idle deadline is not taken for a stalled upstream', async () => {
      const h = start(kind.units());
      const res = await kind.send(h);
      const reader = res.body!.getReader();
      const first = await reader.read();
      // Only waits for the upstream count: the client not pulling for twice the deadline changes nothing.
      await new Promise((resolve) => setTimeout(resolve, IDLE_MS * 2));
      expectNormalEnd(kind, unitsOf(await readChunks(reader, [first.value!]), kind.client));
      expect(onlyObservation(h, res)).toMatchObject({ status: 200, errorCode: null, ...USAGE });
    });

    it('a redirect instead of a stream is a 502 error answer, recorded as a 502', async () => {
      const h = start(['{"message":"moved"}'], 301);
      const res = await kind.send(h);
      expect(res.status).toBe(502);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(onlyObservation(h, res)).toMatchObject({ status: 502, inputTokens: 0, outputTokens: 0 });
    });

    it('an upstream error mid-answer reaches the client in its protocol, recorded with its type and status', async () => {
      const h = start([...kind.units().slice(0, 3), kind.errorUnit]);
      const res = await kind.send(h);
      const error = errorEnd(kind, await readUnits(res, kind.client));
      expect(error.type).toBe(kind.client === 'openai' ? 'rate_limit_error' : 'throttlingException');
      expect(onlyObservation(h, res)).toMatchObject({ status: 429, errorCode: 'ThrottlingException' });
    });

    // [what the upstream does, the recorded code and status, whether tokens are those of the first three units, its script]
    const broken: [string, string, number, boolean, (units: Step[]) => Step[]][] = [
      ['a unit cut in half at the end of the stream', 'upstream_malformed', 502, true, (u) => [...u.slice(0, 3), half(u[3]!)]],
      ['a stream that ends without its closing unit', 'upstream_malformed', 502, false, (u) => u.slice(0, -1)],
      [
        'a corrupt unit (bad CRC, data that is not JSON)',
        'upstream_malformed',
        502,
        true,
        (u) => [...u.slice(0, 3), kind.corruptUnit(), ...u.slice(3)],
      ],
      ['a connection reset mid-answer', 'upstream_reset', 502, true, (u) => [...u.slice(0, 3), reset()]],
      ['an upstream that stalls past the idle deadline', 'upstream_idle_timeout', 504, true, (u) => [...u.slice(0, 3), STALL]],
    ];
    it.each(broken)('%s ends with an error unit, recorded as %s', async (_what, code, status, afterThree, script) => {
      const h = start(script(kind.units()));
      const res = await kind.send(h);
      expect(res.status).toBe(200);
      expectGatewayError(kind, await readUnits(res, kind.client), code, 'modelStreamErrorException');
      const obs = onlyObservation(h, res);
      expect(obs).toMatchObject({ status, errorCode: code, streamed: true });
      // No invented tokens: what the upstream had reported before the cut, nothing more.
      expect(obs.inputTokens).toBeLessThanOrEqual(USAGE.inputTokens);
      expect(obs.outputTokens).toBeLessThanOrEqual(USAGE.outputTokens);
      if (afterThree) expect(obs).toMatchObject(kind.usageAfterThree);
    });

    const caps = capabilitiesOf(target);
    if (caps.clientLeaveNotice) clientLeaveCases(target, kind);
    if (caps.shutdown) shutdownCase(target, kind);
  });
}

/** A client that goes away mid-answer (for a runtime that hears of it while the upstream is silent). */
function clientLeaveCases(target: DataPlaneTarget, kind: StreamKind): void {
  const start = (steps: Step[]): Harness => started(target, steps);
  it('a client that cancels its stream is recorded as client_abort and the upstream call is released', async () => {
    const h = start([...kind.units().slice(0, 3), STALL]);
    const res = await kind.send(h);
    const reader = res.body!.getReader();
    await reader.read();
    await reader.cancel();
    expect(onlyObservation(h, res)).toMatchObject({ status: 499, errorCode: 'client_abort' });
    expect(h.upstream.cancelled).toBe(1);
  });

  it('a client whose request is aborted mid-answer is recorded as client_abort', async () => {
    const h = start([...kind.units().slice(0, 3), STALL]);
    const controller = new AbortController();
    const res = await kind.send(h, controller.signal);
    await res.body!.getReader().read();
    controller.abort();
    const [obs] = await h.sink.waitFor(1);
    expect(obs).toMatchObject({ status: 499, errorCode: 'client_abort' });
    expect(h.sink.observations).toHaveLength(1);
  });
}

/** A shutdown cutting a streamed answer (for a runtime that has a shutdown). */
function shutdownCase(target: DataPlaneTarget, kind: StreamKind): void {
  const start = (steps: Step[]): Harness => started(target, steps);
  it('a shutdown that cuts the call ends the client stream with an error unit, recorded as shutdown_abort', async () => {
    const h = start([...kind.units().slice(0, 3), STALL]);
    const res = await kind.send(h);
    const reader = res.body!.getReader();
    const first = await reader.read();
    h.lifecycle.cutInFlight();
    const units = unitsOf(await readChunks(reader, [first.value!]), kind.client);
    expectGatewayError(kind, units, 'shutdown_abort', 'serviceUnavailableException');
    expect(onlyObservation(h, res)).toMatchObject({ status: 503, errorCode: 'shutdown_abort' });
  });
}
