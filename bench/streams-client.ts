import { Client } from 'undici';
import { decodeFrame } from '../simulator/event-stream.ts';

/** One ConverseStream request to the gateway. */
export interface StreamRequest {
  origin: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

/** How a stream went: ok (read to the end with usage) or the kind of failure, and its timings. */
export interface StreamOutcome {
  ok: boolean;
  /** `http-<status>`, `exception:<type>`, `incomplete`, an error code...; null when ok. */
  failure: string | null;
  /** Request sent to the first content event, ms; null if none came. */
  ttftMs: number | null;
  /** Request sent to the last byte, ms. */
  durationMs: number;
}

/** Events a complete ConverseStream answer carries, in order of their first appearance. */
const REQUIRED_EVENTS = ['messageStart', 'contentBlockDelta', 'contentBlockStop', 'messageStop', 'metadata'];

/**
 * Sends one ConverseStream request on a connection of its own and reads the event stream: `onFirstContent` runs
 * at the first `contentBlockDelta`; with `stopAtFirstContent` the connection is closed there (a TTFT probe).
 * Complete means every required event came and the metadata event carries usage with output tokens.
 */
export async function runStream(
  request: StreamRequest,
  options: { onFirstContent?: () => void; stopAtFirstContent?: boolean } = {},
): Promise<StreamOutcome> {
  const client = new Client(request.origin, { pipelining: 1, keepAliveTimeout: 1_000 });
  const sentAt = performance.now();
  let ttftMs: number | null = null;
  const seen = new Set<string>();
  let failure: string | null = null;
  let usageOk = false;
  let pending: Buffer = Buffer.alloc(0);
  try {
    const response = await client.request({ path: request.path, method: 'POST', headers: request.headers, body: request.body });
    if (response.statusCode !== 200) {
      await response.body.dump();
      return { ok: false, failure: `http-${response.statusCode}`, ttftMs, durationMs: performance.now() - sentAt };
    }
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (pending.length >= 4 && pending.length >= pending.readUInt32BE(0)) {
        const length = pending.readUInt32BE(0);
        const frame = decodeFrame(pending.subarray(0, length));
        pending = pending.subarray(length);
        const exception = frame.headers[':exception-type'];
        if (exception) failure ??= `exception:${String(exception)}`;
        const event = String(frame.headers[':event-type'] ?? '');
        seen.add(event);
        if (event === 'contentBlockDelta' && ttftMs === null) {
          ttftMs = performance.now() - sentAt;
          options.onFirstContent?.();
          if (options.stopAtFirstContent) return { ok: true, failure: null, ttftMs, durationMs: ttftMs };
        }
        if (event === 'metadata')
          usageOk = ((JSON.parse(frame.body) as { usage?: { outputTokens?: number } }).usage?.outputTokens ?? 0) > 0;
      }
    }
    if (!failure && (!REQUIRED_EVENTS.every((e) => seen.has(e)) || !usageOk || pending.length > 0)) failure = 'incomplete';
  } catch (error) {
    failure = (error as { code?: string }).code ?? (error as Error).name;
  } finally {
    await client.destroy().catch(() => {});
  }
  return { ok: failure === null, failure, ttftMs, durationMs: performance.now() - sentAt };
}
