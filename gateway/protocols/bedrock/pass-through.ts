import type { Operation } from '../../../schema/observation.ts';
import { readWhole } from '../read-whole.ts';
import type { RequestMeter } from '../../metering/meter.ts';
import type { HttpResponse } from '../../upstreams/http/interface.ts';
import { BedrockStreamParser, exceptionFrame, normaliseErrorType, usageOfBody, type StreamEvent } from './events.ts';

const PASSED_HEADERS = ['content-type', 'x-amzn-requestid', 'x-amzn-errortype', 'x-amzn-bedrock-content-type', 'x-amzn-bedrock-input-token-count', 'x-amzn-bedrock-output-token-count', 'x-amzn-bedrock-invocation-latency'];

/** Who cut a call short: the shutdown's grace period running out, or the client. */
export type CutBy = () => { status: number; code: 'shutdown_abort' | 'client_abort' };

/** Extra headers (the gateway's own) added to every response, computed when it is built. */
export type ResponseHeaders = () => Record<string, string>;

function passedHeaders(upstream: HttpResponse, own: ResponseHeaders): Record<string, string> {
  const headers = own();
  for (const name of PASSED_HEADERS) {
    const value = upstream.header(name);
    if (value !== null) headers[name] = value;
  }
  return headers;
}

/** Reads a whole answer (non-streamed calls and error answers), meters it, and hands it on. */
export async function bufferThrough(signal: AbortSignal, operation: Operation, response: HttpResponse, meter: RequestMeter, cutBy: CutBy, own: ResponseHeaders): Promise<Response> {
  const bytes = await readWhole(signal, response, meter, cutBy);
  if (response.status < 300) {
    const usage = usageOfBody(operation, response.header, bytes);
    meter.usage(usage.inputTokens, usage.outputTokens);
    meter.finish(response.status, null);
  } else {
    meter.finish(response.status, normaliseErrorType(response.header('x-amzn-errortype') ?? errorTypeOfBody(bytes)));
  }
  return new Response(bytes, { status: response.status, headers: passedHeaders(response, own) });
}

function errorTypeOfBody(bytes: Uint8Array): string {
  try {
    const json = JSON.parse(new TextDecoder().decode(bytes)) as { __type?: string; code?: string };
    return json.__type ?? json.code ?? 'InternalServerException';
  } catch {
    return 'InternalServerException';
  }
}

/** Passes each chunk on as it arrives while a parser reads usage and errors from the frames. */
export function streamThrough(signal: AbortSignal, operation: Operation, response: HttpResponse, meter: RequestMeter, cutBy: CutBy, own: ResponseHeaders): Response {
  meter.upstreamAnswered();
  let parser: BedrockStreamParser | null = new BedrockStreamParser(operation);
  let status = 200;
  let errorCode: string | null = null;
  const apply = (events: StreamEvent[]): void => {
    for (const event of events) {
      if (event.kind === 'content') meter.firstToken();
      else if (event.kind === 'usage') meter.usage(event.inputTokens, event.outputTokens);
      else if (event.kind === 'error') {
        errorCode = event.errorType;
        status = statusOfAwsError(event.errorType);
      }
    }
  };
  const inspect = (read: (p: BedrockStreamParser) => StreamEvent[]): void => {
    if (!parser) return;
    try {
      apply(read(parser));
    } catch {
      // Metering fails open: the bytes still reach the client; the counts stay as last seen.
      parser = null;
    }
  };
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const chunk = await response.read();
        if (chunk === null) {
          inspect((p) => p.end());
          controller.close();
          meter.finish(status, errorCode);
          return;
        }
        inspect((p) => p.push(chunk));
        controller.enqueue(chunk);
      } catch (err) {
        const cut = cutBy();
        if (cut.code === 'client_abort' && signal.aborted) {
          meter.finish(cut.status, cut.code);
          controller.error(err);
          return;
        }
        // The client is still there: end its stream with an exception frame its SDK understands.
        const shutdown = cut.code === 'shutdown_abort';
        meter.finish(shutdown ? cut.status : 502, shutdown ? cut.code : 'upstream_stream_error');
        controller.enqueue(shutdown
          ? exceptionFrame('serviceUnavailableException', 'the gateway is shutting down; retry the request')
          : exceptionFrame('internalServerException', 'the model endpoint closed the stream mid-answer'));
        controller.close();
      }
    },
    cancel() {
      const cut = cutBy();
      meter.finish(cut.status, cut.code);
      response.cancel();
    },
  });
  return new Response(body, { status: 200, headers: passedHeaders(response, own) });
}

const AWS_ERROR_STATUS: Record<string, number> = {
  ThrottlingException: 429,
  ValidationException: 400,
  ModelTimeoutException: 408,
  ModelStreamErrorException: 424,
  ServiceUnavailableException: 503,
  InternalServerException: 500,
};

/** The HTTP status an AWS error type stands for (500 when unknown). */
export function statusOfAwsError(type: string): number {
  return AWS_ERROR_STATUS[type] ?? 500;
}
