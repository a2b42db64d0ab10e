import { timeOrderedUuid } from '../lib/uuid.ts';
import type { ServerError } from '../lib/node/server-errors.ts';
import { routeErrorResponse } from './errors.ts';

/**
 * The answers the Node listener writes itself (parser errors, 408, 413, 431), in the shape of the request's route
 * family like every other gateway error: AWS's on `/model/...`, `{error: {...}}` elsewhere (and when the path is
 * unknown), with a request id of their own.
 */
export function listenerErrorResponse(error: ServerError): Response {
  const requestId = timeOrderedUuid();
  return routeErrorResponse(error.path ?? '/', error.kind, error.message, requestId, { 'x-gateway-request-id': requestId }, error.status);
}
