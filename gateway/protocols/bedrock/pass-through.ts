import type { Operation } from '../../../schema/observation.ts';
import type { AnswerContext, ResponseHeaders } from '../../stream/interface.ts';
import { meteredStream } from '../../stream/streamed.ts';
import { readWhole, type Metered, type WholeReading } from '../../stream/whole.ts';
import type { HttpResponse } from '../../upstreams/http/interface.ts';
import { bedrockErrorType, EventStreamPassThrough, stopReasonOfBody, usageOfBody } from './events.ts';

const PASSED_HEADERS = [
  'content-type',
  'x-amzn-requestid',
  'x-amzn-errortype',
  'x-amzn-bedrock-content-type',
  'x-amzn-bedrock-input-token-count',
  'x-amzn-bedrock-output-token-count',
  'x-amzn-bedrock-cache-read-input-token-count',
  'x-amzn-bedrock-cache-write-input-token-count',
  'x-amzn-bedrock-invocation-latency',
];

function passedHeaders(upstream: HttpResponse, own: ResponseHeaders): Record<string, string> {
  const headers = own();
  for (const name of PASSED_HEADERS) {
    const value = upstream.header(name);
    if (value !== null) headers[name] = value;
  }
  return headers;
}

/** What metering reads of a whole Bedrock answer, per operation: made once each, not per request. */
const READINGS = new Map<Operation, WholeReading<Metered>>();

function readingOf(operation: Operation): WholeReading<Metered> {
  let reading = READINGS.get(operation);
  if (!reading) {
    reading = {
      decode: (json, header) => ({ usage: usageOfBody(operation, header, json), recordedStopReason: stopReasonOfBody(operation, json) }),
      errorType: bedrockErrorType,
    };
    READINGS.set(operation, reading);
  }
  return reading;
}

/**
 * A Bedrock answer handed on in its own bytes: streams frame by frame through the stream core, whole answers
 * (and error answers) once read and checked. Both are metered on the way.
 */
export async function bedrockPassThrough(operation: Operation, response: HttpResponse, call: AnswerContext): Promise<Response> {
  if (response.status < 300 && operation.endsWith('stream')) {
    const body = meteredStream(response, new EventStreamPassThrough(operation), call);
    return new Response(body, { status: 200, headers: passedHeaders(response, call.headers) });
  }
  const answer = await readWhole(response, call, readingOf(operation), true);
  return new Response(answer.bytes, { status: response.status, headers: passedHeaders(response, call.headers) });
}
