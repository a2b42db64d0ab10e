import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { RequestMeter } from '../metering/meter.ts';
import { passthroughStreamMeter } from '../../test/support/stream-meter.ts';
import type { HttpResponse } from '../upstreams/http/interface.ts';
import type { AnswerContext, StreamAdapter } from './interface.ts';
import { meteredStream } from './streamed.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** An upstream answer that sends one chunk and then nothing for as long as the test runs (a slow model). */
function slowAnswer(): HttpResponse {
  const chunks = [new TextEncoder().encode('unit')];
  return {
    status: 200,
    header: () => null,
    bytes: async () => new Uint8Array(),
    read: () => {
      const chunk = chunks.shift();
      return chunk ? Promise.resolve(chunk) : new Promise(() => {});
    },
    cancel: () => {},
  };
}

const PASS: StreamAdapter = { push: (chunk) => chunk, end: () => null, errorFrame: () => new Uint8Array() };

const meter = (): RequestMeter => passthroughStreamMeter('req-held');

/** Functions of a call built once per process, as the routed calls' are (closures made per call would hold its scope). */
const PER_PROCESS = {
  cutBy: () => ({ status: 499, code: 'client_abort' }) as const,
  idleTimeoutMs: 60_000,
  now: () => 0,
};

/**
 * A stream over a call whose headers function closes over a request context (as the routed call's does over the
 * Hono context); the call itself is reachable only through what the stream kept of it.
 */
function streamOfCall(): { stream: ReadableStream<Uint8Array>; contextRef: WeakRef<object> } {
  const requestContext = { body: new Uint8Array(64 * 1024) };
  const call: AnswerContext = {
    ...PER_PROCESS,
    meter: meter(),
    signal: new AbortController().signal,
    headers: () => ({ 'x-size': String(requestContext.body.length) }),
  };
  return { stream: meteredStream(slowAnswer(), PASS, call), contextRef: new WeakRef(requestContext) };
}

describe('a running stream', () => {
  it("does not keep the call's headers function (and the request context it closes over) alive", async () => {
    const { stream, contextRef } = streamOfCall();
    const reader = stream.getReader();
    expect((await reader.read()).value).toEqual(new TextEncoder().encode('unit'));
    // The reader now waits for the next chunk, which never comes: the stream is open.
    const next = reader.read();
    await new Promise((resolve) => setTimeout(resolve, 0));
    gc();
    expect(contextRef.deref()).toBeUndefined();
    await reader.cancel();
    expect((await next).done).toBe(true);
  });
});
