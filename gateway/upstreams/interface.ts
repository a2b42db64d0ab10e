import type { Upstream } from '../../schema/config.ts';
import type { Operation } from '../../schema/observation.ts';
import type { GatewayError } from '../errors.ts';
import type { HttpResponse } from './http/interface.ts';
import type { CancelSignal } from '../../lib/cancellation.ts';

/** One call to a model provider, in that provider's own wire format. */
export interface UpstreamCall {
  /** Where to send it: the configuration's upstream (or the model id of a pass-through). */
  target: Upstream;
  operation: Operation;
  body: Uint8Array<ArrayBuffer>;
  /** Aborted when the client goes away or the gateway shuts down. */
  signal: CancelSignal;
  /** Routing facts passed along as plain headers (never signed). */
  intent: string;
}

/** Transport failures come back as values; an HTTP error answer from the provider is a plain response. */
export type UpstreamResult = { ok: true; response: HttpResponse } | { ok: false; error: GatewayError };

/** A model provider the gateway forwards calls to. */
export interface UpstreamClient {
  call(call: UpstreamCall): Promise<UpstreamResult>;
}
