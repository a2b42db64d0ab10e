import { GatewayError } from '../errors.ts';
import type { RequestMeter } from '../metering/meter.ts';
import type { HttpResponse } from '../upstreams/http/interface.ts';
import type { CutBy } from './bedrock/pass-through.ts';

/**
 * Reads a whole answer body and marks the upstream as answered. When reading fails, the call is recorded
 * as cut (client gone or shutdown) or as a broken connection, and the matching error is thrown.
 */
export async function readWhole(signal: AbortSignal, response: HttpResponse, meter: RequestMeter, cutBy: CutBy): Promise<Uint8Array<ArrayBuffer>> {
  try {
    const bytes = await response.bytes();
    meter.upstreamAnswered();
    return bytes;
  } catch {
    meter.upstreamAnswered();
    if (signal.aborted) {
      const cut = cutBy();
      meter.finish(cut.status, cut.code);
      throw new GatewayError(cut.code, 'the call was cut before the model finished its answer');
    }
    meter.finish(502, 'upstream_body_error');
    throw new GatewayError('upstream_unavailable', 'the model endpoint closed the connection mid-answer');
  }
}
