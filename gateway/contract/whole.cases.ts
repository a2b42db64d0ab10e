import { describe, expect, it, vi } from 'vitest';
import { USAGE } from './answers.ts';
import { capabilitiesOf, openHarness, type DataPlaneTarget, type Harness } from './harness.ts';
import { WHOLE_KINDS, type WholeKind } from './kinds.ts';
import { MAX_WHOLE_ANSWER_BYTES } from '../stream/whole.ts';
import { reset, STALL, type Script, type Step } from './scripted-upstream.ts';

const SPACES = new Uint8Array(1 << 20).fill(0x20);

/** The answer is an error in its route family's shape (AWS's on Bedrock routes, OpenAI's on /v1); returns its type. */
async function familyError(kind: WholeKind, res: Response, status: number): Promise<{ type: string; code?: unknown }> {
  expect(res.status).toBe(status);
  const json = (await res.json()) as { message?: unknown; error?: { message?: unknown; type: string; code?: unknown } };
  if (kind.client === 'openai') {
    expect(json.error).toMatchObject({ message: expect.any(String), type: expect.any(String) });
    return json.error!;
  }
  expect(json.message).toEqual(expect.any(String));
  return { type: res.headers.get('x-amzn-errortype') ?? '' };
}

/** Every non-streamed operation: its answer, upstream error statuses, and bodies that are no answer. */
export function wholeCases(target: DataPlaneTarget): void {
  describe.each(WHOLE_KINDS)('$name', (kind) => {
    const start = (script: Script): Harness => {
      const h = openHarness(target);
      h.upstream.next(script);
      return h;
    };
    const only = (h: Harness, res: Response) => {
      expect(h.sink.observations).toHaveLength(1);
      expect(h.sink.observations[0]!.requestId).toBe(res.headers.get('x-gateway-request-id'));
      return h.sink.observations[0]!;
    };
    const half = kind.body.slice(0, kind.body.length >> 1);

    it('completes: the answer in the client protocol, usage metered, one observation', async () => {
      const h = start({ headers: { 'content-type': 'application/json' }, body: [half, kind.body.slice(half.length)] });
      const res = await kind.send(h);
      expect(res.status).toBe(200);
      expect(kind.textOf(await res.json())).toBe('One Piece');
      const obs = only(h, res);
      expect(obs).toMatchObject({ status: 200, errorCode: null, ...USAGE, streamed: false, operation: kind.operation });
      expect(obs.ttftMs).not.toBeNull();
    });

    it('an upstream throttling answer reaches the client as its own typed error, recorded with its type', async () => {
      const h = start(kind.throttled);
      const res = await kind.send(h);
      const error = await familyError(kind, res, 429);
      expect(error.type).toMatch(kind.client === 'openai' ? /^rate_limit_error$/ : /^ThrottlingException/);
      expect(only(h, res)).toMatchObject({ status: 429, errorCode: 'ThrottlingException', inputTokens: 0, outputTokens: 0 });
    });

    it("an upstream error answer that is not JSON keeps its status, in the client family's error shape", async () => {
      const h = start({ status: 502, headers: { 'content-type': 'text/html' }, body: ['<html>bad gateway</html>'] });
      const res = await kind.send(h);
      await familyError(kind, res, 502);
      expect(only(h, res)).toMatchObject({ status: 502, errorCode: 'InternalServerException' });
    });

    // A redirect or a status no HTTP error has (a wrong base URL, a proxy in the way): no answer of the model.
    const notAnAnswer: [string, number][] = [
      ['a redirect with a JSON body', 301],
      ['a 304 (a status that may carry no body)', 304],
      ['a status outside HTTP error range', 600],
    ];
    it.each(notAnAnswer)('%s is a 502 in the family shape, recorded as a 502', async (_what, upstreamStatus) => {
      const h = start({
        status: upstreamStatus,
        headers: { 'content-type': 'application/json', location: '/elsewhere' },
        body: ['{"message":"moved"}'],
      });
      const res = await kind.send(h);
      await familyError(kind, res, 502);
      expect(res.headers.get('location')).toBeNull();
      expect(only(h, res)).toMatchObject({ status: 502, inputTokens: 0, outputTokens: 0 });
    });

    const broken: [string, string, number, Script][] = [
      [
        'a 200 answer whose body is not JSON',
        'upstream_malformed',
        502,
        { headers: { 'content-type': 'text/html' }, body: ['<html>ok</html>'] },
      ],
      ['a body cut off at the end', 'upstream_malformed', 502, { body: [half] }],
      // A whole answer, then 1 MiB of spaces again and again: valid JSON, but never held in memory past the limit.
      [
        'a body past the size limit',
        'upstream_malformed',
        502,
        { body: [kind.body, ...Array<Step>(MAX_WHOLE_ANSWER_BYTES >> 20).fill(SPACES)] },
      ],
      ['a connection reset mid-body', 'upstream_reset', 502, { body: [half, reset()] }],
      ['an upstream that stalls mid-body past the idle deadline', 'upstream_idle_timeout', 504, { body: [half, STALL] }],
    ];
    it.each(broken)('%s is an error in the family shape, recorded as %s with no tokens', async (_what, code, status, script) => {
      const h = start(script);
      const res = await kind.send(h);
      const error = await familyError(kind, res, status);
      if (kind.client === 'openai') expect(error.code).toBe(code);
      expect(only(h, res)).toMatchObject({ status, errorCode: code, inputTokens: 0, outputTokens: 0 });
    });

    /** Sends the call with the upstream scripted to stall mid-body; resolves once the gateway is reading that body. */
    const stalled = async (signal?: AbortSignal) => {
      const h = start({ body: [half, STALL] });
      const answer = kind.send(h, signal).catch((err: unknown) => err);
      await vi.waitFor(() => expect(h.upstream.requests).toHaveLength(1));
      return { h, answer };
    };

    const caps = capabilitiesOf(target);
    if (caps.clientLeaveNotice)
      it('a client that goes away during a stalled read is recorded once as client_abort; the upstream call is released', async () => {
        const controller = new AbortController();
        const { h, answer } = await stalled(controller.signal);
        controller.abort();
        await answer;
        const [obs] = await h.sink.waitFor(1);
        expect(obs).toMatchObject({ status: 499, errorCode: 'client_abort', inputTokens: 0, outputTokens: 0 });
        expect(h.sink.observations).toHaveLength(1);
        expect(h.upstream.cancelled).toBe(1);
      });

    if (caps.shutdown)
      it('a shutdown that cuts a stalled read answers 503 in the family shape, recorded once as shutdown_abort', async () => {
        const { h, answer } = await stalled();
        h.lifecycle.cutInFlight();
        const res = (await answer) as Response;
        await familyError(kind, res, 503);
        expect(only(h, res)).toMatchObject({ status: 503, errorCode: 'shutdown_abort', inputTokens: 0, outputTokens: 0 });
        expect(h.upstream.cancelled).toBe(1);
      });
  });
}
