import { describe, expect, it } from 'vitest';
import { MemoryLogger } from '../../lib/log/memory.ts';
import { passthroughStreamMeter } from '../../test/support/stream-meter.ts';
import type { HttpResponse } from '../upstreams/http/interface.ts';
import type { AnswerContext, StreamAdapter } from './interface.ts';
import { meteredStream } from './streamed.ts';

/** An upstream answer whose body is one chunk, then its end. */
function oneChunk(): HttpResponse {
  const chunks: (Uint8Array | null)[] = [new TextEncoder().encode('unit'), null];
  return {
    status: 200,
    header: () => null,
    bytes: async () => new Uint8Array(),
    read: async () => chunks.shift() ?? null,
    cancel: () => {},
  };
}

/** An adapter with a bug: it throws a plain error (not `MalformedUpstream`) on the first chunk. */
const BROKEN: StreamAdapter = {
  push: () => {
    throw new TypeError('adapter bug: cannot read properties of undefined');
  },
  end: () => null,
  errorFrame: () => new TextEncoder().encode('error frame'),
};

describe('a stream adapter that fails', () => {
  it("is logged through the gateway's logger with the request id and its stack, not written to stderr", async () => {
    const logger = new MemoryLogger();
    const recorded: { status: number; errorCode: string | null }[] = [];
    const meter = passthroughStreamMeter('req-adapter-failure', (o) => recorded.push(o));
    const call: AnswerContext = {
      meter,
      signal: new AbortController().signal,
      cutBy: () => ({ status: 499, code: 'client_abort' }),
      headers: () => ({}),
      idleTimeoutMs: 60_000,
      now: () => 0,
      logger,
    };
    const body = await new Response(meteredStream(oneChunk(), BROKEN, call)).text();
    expect(body).toBe('error frame');
    expect(recorded).toMatchObject([{ status: 500, errorCode: 'internal' }]);
    const lines = logger.find('stream adapter failed');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.level).toBe('error');
    expect(lines[0]!.fields.requestId).toBe('req-adapter-failure');
    expect(String(lines[0]!.fields.error)).toContain('adapter bug');
  });
});
