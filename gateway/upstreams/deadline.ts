import { GatewayError } from '../errors.ts';
import type { UpstreamResult } from './interface.ts';
import type { HttpResponse } from './http/interface.ts';
import { Cancellation, type CancelSignal } from '../../lib/cancellation.ts';

/**
 * Runs an upstream request with the client's abort signal and a deadline for the response headers,
 * turning transport failures into values: client gone, timed out, or unreachable.
 */
export async function withDeadline(
  clientSignal: CancelSignal,
  timeoutMs: number,
  send: (signal: CancelSignal) => Promise<HttpResponse>,
): Promise<UpstreamResult> {
  const controller = new Cancellation();
  // A bound function, not a closure: nothing named at run time per call.
  const onClientAbort = relayAbort.bind(controller, clientSignal);
  clientSignal.addEventListener('abort', onClientAbort, { once: true });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  try {
    return { ok: true, response: await send(controller) };
  } catch (err) {
    clientSignal.removeEventListener('abort', onClientAbort);
    if (clientSignal.aborted) return { ok: false, error: new GatewayError('client_abort', 'client went away before the model answered') };
    if (timedOut) return { ok: false, error: new GatewayError('upstream_timeout', `model did not answer within ${timeoutMs} ms`) };
    if (err instanceof GatewayError) return { ok: false, error: err };
    return { ok: false, error: new GatewayError('upstream_unavailable', `model endpoint unreachable: ${(err as Error).message}`) };
  } finally {
    clearTimeout(timer);
  }
}

function relayAbort(this: Cancellation, from: CancelSignal): void {
  this.abort(from.reason);
}
