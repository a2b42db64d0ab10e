import { upstreamModelOf, type Upstream } from '../schema/config.ts';
import { withFields } from '../lib/fields.ts';
import { tallyEvents, type ChatRequest, type ClientCodec, type UpstreamCodec } from './canonical.ts';
import type { AttemptPlan } from './fallback/run.ts';
import type { RoutedCall } from './routed.ts';
import type { ClientError, StreamAdapter, StreamTally } from './stream/interface.ts';
import { meteredStream } from './stream/streamed.ts';
import { readWhole } from './stream/whole.ts';
import type { HttpResponse } from './upstreams/http/interface.ts';
import type { UpstreamClient } from './upstreams/interface.ts';

/** What a call across protocols needs besides its routed call: the canonical request, its target and both sides' codecs. */
export interface Translation {
  request: ChatRequest;
  /** The configuration's upstream, or the Bedrock model of a pass-through. */
  target: Upstream;
  stream: boolean;
  upstream: UpstreamClient;
  upstreamCodec: UpstreamCodec;
  clientCodec: ClientCodec;
}

/**
 * How a call whose client protocol differs from its upstream's is served: the canonical call is encoded for the
 * upstream, and the answer (whole or streamed) decoded into canonical events, metered from them, and
 * rendered in the client's protocol. Error answers are said again in the client's error shape.
 */
export function translationPlan(call: RoutedCall, t: Translation): AttemptPlan {
  const body = t.upstreamCodec.encodeRequest(t.request, upstreamModelOf(t.target), t.stream);
  const operation = t.upstreamCodec.operation(t.stream);
  return {
    client: t.upstream,
    request: { target: t.target, operation, body, intent: call.resolution.intent },
    answer: (response) => translatedAnswer(call, t, response),
  };
}

async function translatedAnswer(call: RoutedCall, t: Translation, response: HttpResponse): Promise<Response> {
  if (response.status < 300 && t.stream) {
    const stream = meteredStream(response, translatingAdapter(t.upstreamCodec, t.clientCodec), call);
    return new Response(stream, { status: 200, headers: withFields(call.headers(), { 'content-type': t.clientCodec.streamContentType }) });
  }
  const answer = await readWhole(response, call, t.upstreamCodec);
  const rendered = t.clientCodec.renderResult(answer.value);
  return new Response(rendered.body, { status: 200, headers: withFields(call.headers(), { 'content-type': rendered.contentType }) });
}

/** Upstream stream bytes decoded into canonical events, metered, and encoded for the client. */
function translatingAdapter(upstreamCodec: UpstreamCodec, clientCodec: ClientCodec): StreamAdapter {
  const decode = upstreamCodec.decoder();
  const encode = clientCodec.encoder();
  return {
    push(chunk: Uint8Array, tally: StreamTally) {
      const events = decode.push(chunk);
      tallyEvents(events, tally);
      return encode.encode(events);
    },
    end(tally: StreamTally) {
      const events = decode.end();
      tallyEvents(events, tally);
      return encode.encode(events);
    },
    errorFrame: (error: ClientError) =>
      encode.encode([{ type: 'error', errorType: error.type, message: error.message, code: error.code }])!,
  };
}
