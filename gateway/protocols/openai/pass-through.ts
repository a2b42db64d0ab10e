import { readWhole } from '../read-whole.ts';
import type { RequestMeter } from '../../metering/meter.ts';
import type { HttpResponse } from '../../upstreams/http/interface.ts';
import { statusOfAwsError, type CutBy, type ResponseHeaders } from '../bedrock/pass-through.ts';
import { chunkEvents, errorTypeOfOpenAI } from './chat-codec.ts';
import { SseSplitter } from './sse.ts';
import { safeJson } from '../../json.ts';

const encoder = new TextEncoder();
/** An event that carries usage (an object, not the `"usage": null` of every chunk) or an error. */
const METERED = /"usage"\s*:\s*\{|"error"\s*:/;

/** A whole Chat Completions answer (or error answer) handed on as it came, metered from its usage. */
export async function bufferChat(signal: AbortSignal, response: HttpResponse, meter: RequestMeter, cutBy: CutBy, headers: ResponseHeaders): Promise<Response> {
  const bytes = await readWhole(signal, response, meter, cutBy);
  const json = safeJson(bytes);
  if (response.status < 300) {
    const usage = json?.usage as { prompt_tokens?: number; completion_tokens?: number } | undefined;
    meter.usage(usage?.prompt_tokens ?? 0, usage?.completion_tokens ?? 0);
    meter.finish(response.status, null);
  } else {
    const error = json?.error as { type?: string; code?: string } | undefined;
    meter.finish(response.status, error ? errorTypeOfOpenAI(error.type, error.code) : 'InternalServerException');
  }
  return new Response(bytes, { status: response.status, headers: { ...headers(), 'content-type': response.header('content-type') ?? 'application/json' } });
}

/**
 * Passes a Chat Completions event stream through event by event, metering from a parse of each event.
 * The upstream is always asked for usage; when the client did not ask for it, that last chunk is held back.
 */
export function streamChat(signal: AbortSignal, response: HttpResponse, meter: RequestMeter, cutBy: CutBy, headers: ResponseHeaders, includeUsage: boolean): Response {
  meter.upstreamAnswered();
  const splitter = new SseSplitter();
  let status = 200;
  let errorCode: string | null = null;
  let contentSeen = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const chunk = await response.read();
        let out = '';
        for (const event of chunk === null ? splitter.flush() : splitter.push(chunk)) {
          let usageOnly = false;
          // After the first content only usage and error events matter: the rest pass unparsed.
          if (contentSeen && !METERED.test(event.data)) {
            out += event.raw;
            continue;
          }
          try {
            for (const e of chunkEvents(event.data)) {
              if (e.type === 'text') {
                meter.firstToken();
                contentSeen = true;
              }
              else if (e.type === 'usage') {
                meter.usage(e.inputTokens, e.outputTokens);
                usageOnly = !event.data.includes('"delta"');
              } else if (e.type === 'error') {
                errorCode = e.errorType;
                status = statusOfAwsError(e.errorType);
              }
            }
          } catch {
            // Metering fails open on an event it cannot read; the event still goes to the client.
          }
          if (!usageOnly || includeUsage) out += event.raw;
        }
        if (out) controller.enqueue(encoder.encode(out));
        if (chunk === null) {
          controller.close();
          meter.finish(status, errorCode);
        }
      } catch (err) {
        const cut = cutBy();
        const aborted = cut.code === 'shutdown_abort' || signal.aborted;
        meter.finish(aborted ? cut.status : 502, aborted ? cut.code : 'upstream_stream_error');
        if (signal.aborted && cut.code === 'client_abort') {
          controller.error(err);
          return;
        }
        const message = aborted ? 'the gateway is shutting down; retry the request' : 'the model endpoint closed the stream mid-answer';
        controller.enqueue(encoder.encode(`data: ${JSON.stringify({ error: { message, type: 'api_error', code: null } })}\n\n`));
        controller.close();
      }
    },
    cancel() {
      const cut = cutBy();
      meter.finish(cut.status, cut.code);
      response.cancel();
    },
  });
  return new Response(body, { status: 200, headers: { ...headers(), 'content-type': 'text/event-stream', 'cache-control': 'no-cache' } });
}
