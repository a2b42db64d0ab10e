import { withFields } from '../lib/fields.ts';
/** Gateway error codes, each with its HTTP status and the AWS error type Bedrock clients expect. */
export const ERRORS = {
  malformed_json: { status: 400, awsType: 'ValidationException' },
  /** Objects and arrays nested deeper than `MAX_JSON_DEPTH` (lib/json-depth.ts). */
  json_too_deep: { status: 400, awsType: 'ValidationException' },
  /** A request Node's HTTP parser refuses (bad framing, bad request line, HTTP/1.1 without Host). */
  malformed_http: { status: 400, awsType: 'ValidationException' },
  /** The request's headers did not arrive (or the whole request) within the listener's deadline. */
  request_timeout: { status: 408, awsType: 'RequestTimeoutException' },
  invalid_request: { status: 400, awsType: 'ValidationException' },
  unauthenticated: { status: 401, awsType: 'UnrecognizedClientException' },
  /** A SigV4 signature that does not verify: wrong secret, altered request, expired, wrongly scoped. */
  invalid_signature: { status: 403, awsType: 'InvalidSignatureException' },
  /** A SigV4 Authorization header missing a part (Credential, SignedHeaders, Signature, X-Amz-Date). */
  incomplete_signature: { status: 400, awsType: 'IncompleteSignatureException' },
  /** A SigV4 access key id the gateway does not know (or a revoked one). */
  unrecognized_client: { status: 403, awsType: 'UnrecognizedClientException' },
  forbidden: { status: 403, awsType: 'AccessDeniedException' },
  unknown_operation: { status: 404, awsType: 'UnknownOperationException' },
  unknown_config: { status: 404, awsType: 'ResourceNotFoundException' },
  payload_too_large: { status: 413, awsType: 'ValidationException' },
  headers_too_large: { status: 431, awsType: 'ValidationException' },
  upstream_timeout: { status: 408, awsType: 'ModelTimeoutException' },
  throttled: { status: 429, awsType: 'ThrottlingException' },
  upstream_rejected: { status: 400, awsType: 'ValidationException' },
  upstream_error: { status: 500, awsType: 'InternalServerException' },
  upstream_unavailable: { status: 503, awsType: 'ServiceUnavailableException' },
  internal: { status: 500, awsType: 'InternalServerException' },
  /** The answer had begun, then the model endpoint sent nothing for `UPSTREAM_IDLE_TIMEOUT_MS`. */
  upstream_idle_timeout: { status: 504, awsType: 'ModelTimeoutException' },
  /** Corrupt or truncated frames, an answer without its closing event, a body that is not JSON. */
  upstream_malformed: { status: 502, awsType: 'InternalServerException' },
  /** The model endpoint's connection broke mid-answer. */
  upstream_reset: { status: 502, awsType: 'InternalServerException' },
  /** The client went away; nobody reads the answer, but the observation carries it. */
  client_abort: { status: 499, awsType: 'RequestAbortedException' },
  /** Cut because the gateway is shutting down and the grace period ran out. */
  shutdown_abort: { status: 503, awsType: 'ServiceUnavailableException' },
  shutting_down: { status: 503, awsType: 'ServiceUnavailableException' },
} as const satisfies Record<string, { status: number; awsType: string }>;

export type ErrorCode = keyof typeof ERRORS;

/** An expected failure with a message for the client; `app.onError` turns it into a response. */
export class GatewayError extends Error {
  override name = 'GatewayError';
  /** `status` overrides the code's usual status, e.g. to keep an upstream's own error status. */
  constructor(
    readonly code: ErrorCode,
    message: string,
    private readonly statusOverride?: number,
  ) {
    super(message);
  }
  get status(): number {
    return this.statusOverride ?? ERRORS[this.code].status;
  }
}

/** The error code for an upstream's HTTP error status, so every front door can say it in its own shape. */
export function errorCodeOfStatus(status: number): ErrorCode {
  if (status === 429) return 'throttled';
  if (status === 408 || status === 504) return 'upstream_timeout';
  if (status === 503) return 'upstream_unavailable';
  if (status >= 400 && status < 500) return 'upstream_rejected';
  return 'upstream_error';
}

const ERROR_TYPE_STATUS: Record<string, number> = {
  ThrottlingException: 429,
  ValidationException: 400,
  ModelTimeoutException: 408,
  ModelStreamErrorException: 424,
  ServiceUnavailableException: 503,
  InternalServerException: 500,
};

/**
 * The HTTP status an error type stands for (500 when unknown). Observations name upstream errors of every
 * provider with AWS's error types, so this map serves both protocols.
 */
export function statusOfErrorType(type: string): number {
  return ERROR_TYPE_STATUS[type] ?? 500;
}

const OPENAI_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  408: 'timeout',
  413: 'invalid_request_error',
  429: 'rate_limit_error',
  431: 'invalid_request_error',
};

/**
 * The error body of every non-Bedrock route, in OpenAI's shape so OpenAI SDKs raise typed errors:
 * `{error: {message, type, code, param}, requestId}`.
 */
export function jsonErrorResponse(
  status: number,
  code: string,
  message: string,
  requestId: string,
  headers: Record<string, string> = {},
): Response {
  const type = OPENAI_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
  return new Response(JSON.stringify({ error: { message, type, code, param: null }, requestId }), {
    status,
    headers: withFields(headers, { 'content-type': 'application/json' }),
  });
}

/**
 * AWS-shaped error response: status, `x-amzn-ErrorType`, JSON `{message}`, plus the request id so a
 * user can find the request in logs and observations.
 */
export function awsErrorResponse(
  status: number,
  awsType: string,
  message: string,
  requestId: string,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify({ message, requestId }), {
    status,
    headers: {
      ...headers,
      'content-type': 'application/json',
      'x-amzn-errortype': awsType,
      'x-amzn-requestid': requestId,
    },
  });
}

/** Whether a path belongs to the Bedrock front door, whose errors take AWS's shape. */
export function isBedrockPath(path: string): boolean {
  return path.startsWith('/model/');
}

/**
 * An error in the shape of the path's route family: AWS's on Bedrock routes (`/model/...`), `{error: {...}}` on
 * every other route. Used by `app.onError` and by the listener for the answers it writes itself.
 */
export function routeErrorResponse(
  path: string,
  code: ErrorCode,
  message: string,
  requestId: string,
  headers: Record<string, string> = {},
  status?: number,
): Response {
  const answer = status ?? ERRORS[code].status;
  if (isBedrockPath(path)) return awsErrorResponse(answer, ERRORS[code].awsType, message, requestId, headers);
  return jsonErrorResponse(answer, code, message, requestId, headers);
}
