import { expect, it, vi } from 'vitest';

// A runtime without a single-byte decoder (no Buffer, no windows-1252 TextDecoder): the stream scan falls back to
// reading each event's bytes. The modules are imported after the stubs, so the scan is built without them.
vi.stubGlobal('Buffer', undefined);
vi.stubGlobal(
  'TextDecoder',
  class extends TextDecoder {
    constructor(label?: string, options?: TextDecoderOptions) {
      if (label === 'windows-1252') throw new RangeError(`the encoding ${label} is not supported`);
      super(label, options);
    }
  },
);
const { meteredStarts } = await import('./pass-through.ts');
const { longChatStream, openChatPassThrough } = await import('./pass-through-harness.ts');
vi.unstubAllGlobals();

it('meters a stream event by event when the runtime cannot read bytes as single-byte text', async () => {
  const bytes = longChatStream();
  expect(meteredStarts(bytes)).toBeNull();
  const h = openChatPassThrough();
  h.upstream.next({ headers: { 'content-type': 'text/event-stream' }, body: [bytes.slice(0, 700), bytes.slice(700)] });
  const res = await h.chat('r-oai', true, { stream_options: { include_usage: true } });
  expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes);
  expect(h.sink.observations[0]).toMatchObject({ status: 200, inputTokens: 7, outputTokens: 24, stopReason: 'max_tokens' });
});
