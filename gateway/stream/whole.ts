import { ERRORS, errorCodeOfStatus, GatewayError } from '../errors.ts';
import { safeJson } from '../json.ts';
import type { HttpResponse } from '../upstreams/http/interface.ts';
import { recordCutShort } from './ending.ts';
import { MalformedUpstream, type AnswerContext } from './interface.ts';
import { UpstreamReader } from './upstream-reader.ts';

/** Token usage of a whole answer; the cache counts are absent when the upstream said nothing about the prompt cache. */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
  /** Input tokens read from the prompt cache (not part of `inputTokens`). */
  cacheReadInputTokens?: number | undefined;
  /** Input tokens written to the prompt cache (not part of `inputTokens`). */
  cacheWriteInputTokens?: number | undefined;
}

/** What metering reads of a decoded whole answer: usage, and the stop reason when the answer names one. */
export interface Metered {
  usage: Usage;
  /** In Converse's vocabulary (see `stop-reasons.ts`). */
  recordedStopReason?: string | null;
}

/** How to read one upstream protocol's whole answers. */
export interface WholeReading<T extends Metered> {
  /** The answer a successful JSON body stands for; throws when the body is no answer of this protocol. */
  decode(json: Record<string, unknown>, header: (name: string) => string | null): T;
  /** The error type an error answer names (body or headers), or null to take the one its status stands for. */
  errorType(json: Record<string, unknown> | undefined, header: (name: string) => string | null): string | null;
}

/** A whole answer as read: a success and what it decodes to, or an upstream error whose body is JSON. */
export type WholeAnswer<T> = { ok: true; bytes: Uint8Array<ArrayBuffer>; value: T } | { ok: false; bytes: Uint8Array<ArrayBuffer> };

/**
 * Reads a whole answer under the idle deadline and records its ending. A success must be JSON that decodes
 * (otherwise recorded as `upstream_malformed`, 502); an upstream error is recorded with its error type and
 * status (502 for a redirect or a status that is no HTTP error), and returned when `keepErrorBody` holds and its
 * body is JSON (pass-through: the client's own protocol), else thrown in the client's error shape. A read cut
 * short (idle, reset, abort) is thrown too.
 */
export async function readWhole<T extends Metered>(
  response: HttpResponse,
  call: AnswerContext,
  reading: WholeReading<T>,
  keepErrorBody: true,
): Promise<WholeAnswer<T>>;
export async function readWhole<T extends Metered>(
  response: HttpResponse,
  call: AnswerContext,
  reading: WholeReading<T>,
): Promise<WholeAnswer<T> & { ok: true }>;
export async function readWhole<T extends Metered>(
  response: HttpResponse,
  call: AnswerContext,
  reading: WholeReading<T>,
  keepErrorBody = false,
): Promise<WholeAnswer<T>> {
  const bytes = await readAll(response, call);
  const json = safeJson(bytes);
  const header = response.header.bind(response);
  if (response.status >= 300) {
    const status = errorStatusOf(response.status);
    const code = errorCodeOfStatus(status);
    call.meter.finish(status, reading.errorType(json, header) ?? ERRORS[code].awsType);
    if (json && keepErrorBody && status === response.status) return { ok: false, bytes };
    throw new GatewayError(code, `the model endpoint answered ${response.status}: ${messageOf(json, bytes)}`, status);
  }
  let value: T;
  try {
    if (!json) throw new Error(`a ${response.status} answer whose body is not JSON`);
    value = reading.decode(json, header);
  } catch (err) {
    throw recordCutShort(call, 'upstream_malformed', (err as Error).message);
  }
  const usage = value.usage;
  call.meter.usage(usage.inputTokens, usage.outputTokens, { read: usage.cacheReadInputTokens, write: usage.cacheWriteInputTokens });
  if (value.recordedStopReason) call.meter.stopReason(value.recordedStopReason);
  call.meter.finish(response.status, null);
  return { ok: true, bytes, value };
}

/**
 * The status an upstream's non-success answer is passed on and recorded with: its own when it is an HTTP error
 * (4xx, 5xx); a redirect or a status outside HTTP's range is no answer of the model (a wrong base URL, a proxy),
 * so 502. A 3xx also could not be passed on: some may carry no body, and none would have its `location`.
 */
function errorStatusOf(status: number): number {
  return status >= 400 && status <= 599 ? status : 502;
}

/** Largest whole answer read (far above any model's); past it the answer is malformed rather than held in memory. */
export const MAX_WHOLE_ANSWER_BYTES = 64 * 1024 * 1024;

async function readAll(response: HttpResponse, call: AnswerContext): Promise<Uint8Array<ArrayBuffer>> {
  const reader = new UpstreamReader(response, call);
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const chunk = await reader.read();
      reader.received();
      if (chunk === null) break;
      call.tap?.(chunk);
      chunks.push(chunk);
      size += chunk.length;
      if (size > MAX_WHOLE_ANSWER_BYTES) throw new MalformedUpstream(`an answer larger than ${MAX_WHOLE_ANSWER_BYTES} bytes`);
    }
  } catch (err) {
    reader.stop(true);
    call.meter.upstreamAnswered();
    throw recordCutShort(call, reader.failure(err), (err as Error).message);
  }
  reader.stop(false);
  call.meter.upstreamAnswered();
  // An answer that came in one chunk (most do) is that chunk: no copy.
  if (chunks.length === 1) return chunks[0] as Uint8Array<ArrayBuffer>;
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}

const decoder = new TextDecoder();

function messageOf(json: Record<string, unknown> | undefined, bytes: Uint8Array): string {
  const error = json?.error as { message?: unknown } | undefined;
  const message = error?.message ?? json?.message;
  if (typeof message === 'string') return message;
  return decoder.decode(bytes.subarray(0, 200)) || '(no body)';
}
