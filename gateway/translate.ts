import { upstreamModelOf, type ModelConfig } from '../schema/config.ts';
import type { ChatEvent, ChatRequest, ClientCodec, UpstreamCodec } from './canonical.ts';
import { errorCodeOfStatus, GatewayError } from './errors.ts';
import type { RequestMeter } from './metering/meter.ts';
import { readWhole } from './protocols/read-whole.ts';
import { statusOfAwsError, type CutBy, type ResponseHeaders } from './protocols/bedrock/pass-through.ts';
import type { HttpResponse } from './upstreams/http/interface.ts';
import type { UpstreamClient } from './upstreams/interface.ts';

export interface TranslatedCall {
  request: ChatRequest;
  config: ModelConfig;
  stream: boolean;
  upstream: UpstreamClient;
  upstreamCodec: UpstreamCodec;
  clientCodec: ClientCodec;
  meter: RequestMeter;
  signal: AbortSignal;
  intent: string;
  cutBy: CutBy;
  headers: ResponseHeaders;
}

const decoder = new TextDecoder();

/**
 * Serves a call whose client protocol differs from its upstream's: the canonical call is encoded for the
 * upstream, and the answer (whole or streamed) decoded into canonical events, metered from them, and
 * rendered in the client's protocol.
 */
export async function translateCall(t: TranslatedCall): Promise<Response> {
  const body = t.upstreamCodec.encodeRequest(t.request, upstreamModelOf(t.config.upstream), t.stream);
  t.meter.upstreamStarted();
  const result = await t.upstream.call({ target: t.config.upstream, operation: t.upstreamCodec.operation(t.stream), body, signal: t.signal, intent: t.intent });
  if (!result.ok) {
    t.meter.upstreamAnswered();
    const error = result.error.code === 'client_abort' ? new GatewayError(t.cutBy().code, result.error.message) : result.error;
    t.meter.finish(error.status, error.code);
    throw error;
  }
  const response = result.response;
  if (response.status >= 300) {
    const bytes = await response.bytes().catch(() => new Uint8Array(0));
    t.meter.upstreamAnswered();
    const code = errorCodeOfStatus(response.status);
    t.meter.finish(response.status, ERROR_TYPES[code] ?? 'InternalServerException');
    throw new GatewayError(code, `the model endpoint answered ${response.status}: ${messageOf(bytes)}`, response.status);
  }
  if (!t.stream) {
    const answer = t.upstreamCodec.decodeResult(await readWhole(t.signal, response, t.meter, t.cutBy));
    t.meter.usage(answer.usage.inputTokens, answer.usage.outputTokens);
    t.meter.finish(200, null);
    const rendered = t.clientCodec.renderResult(answer);
    return new Response(rendered.body, { status: 200, headers: { ...t.headers(), 'content-type': rendered.contentType } });
  }
  return new Response(translatedStream(t, response), { status: 200, headers: { ...t.headers(), 'content-type': t.clientCodec.streamContentType } });
}

const ERROR_TYPES: Record<string, string> = {
  throttled: 'ThrottlingException', upstream_timeout: 'ModelTimeoutException', upstream_unavailable: 'ServiceUnavailableException',
  upstream_rejected: 'ValidationException', upstream_error: 'InternalServerException',
};

function translatedStream(t: TranslatedCall, response: HttpResponse): ReadableStream<Uint8Array> {
  t.meter.upstreamAnswered();
  const decode = t.upstreamCodec.decoder();
  const encode = t.clientCodec.encoder();
  let status = 200;
  let errorCode: string | null = null;
  const meterEvents = (events: ChatEvent[]): void => {
    for (const event of events) {
      if (event.type === 'text') t.meter.firstToken();
      else if (event.type === 'usage') t.meter.usage(event.inputTokens, event.outputTokens);
      else if (event.type === 'error') {
        errorCode = event.errorType;
        status = statusOfAwsError(event.errorType);
      }
    }
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const chunk = await response.read();
        const events = chunk === null ? decode.end() : decode.push(chunk);
        meterEvents(events);
        const bytes = encode.encode(events);
        if (bytes) controller.enqueue(bytes);
        if (chunk !== null) return;
        const tail = encode.end();
        if (tail) controller.enqueue(tail);
        controller.close();
        t.meter.finish(status, errorCode);
      } catch (err) {
        response.cancel();
        const cut = t.cutBy();
        const aborted = cut.code === 'shutdown_abort' || t.signal.aborted;
        t.meter.finish(aborted ? cut.status : 502, aborted ? cut.code : 'upstream_stream_error');
        if (t.signal.aborted && cut.code === 'client_abort') {
          controller.error(err);
          return;
        }
        // The client is still there: end its stream with an error it understands, never a silent "complete" end.
        const message = aborted ? 'the gateway is shutting down; retry the request' : 'the model endpoint closed the stream mid-answer';
        const frame = encode.encode([{ type: 'error', errorType: aborted ? 'ServiceUnavailableException' : 'InternalServerException', message }]);
        if (frame) controller.enqueue(frame);
        controller.close();
      }
    },
    cancel() {
      const cut = t.cutBy();
      t.meter.finish(cut.status, cut.code);
      response.cancel();
    },
  });
}

function messageOf(bytes: Uint8Array): string {
  const text = decoder.decode(bytes);
  try {
    const json = JSON.parse(text) as { message?: string; error?: { message?: string } };
    return json.error?.message ?? json.message ?? text.slice(0, 200);
  } catch {
    return text.slice(0, 200) || '(no body)';
  }
}
