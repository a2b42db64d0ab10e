import type { FaultKind, StreamException } from './control.ts';

/** An OpenAI-shaped error: `{error: {message, type, param, code}}` with its HTTP status. */
export interface OpenAIErrorBody {
  status: number;
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

/** Errors the Chat Completions route answers with, worded like OpenAI's. */
export const OPENAI_ERRORS = {
  invalid_api_key: { status: 401, type: 'invalid_request_error', code: 'invalid_api_key', message: 'Incorrect API key provided.' },
  missing_api_key: {
    status: 401,
    type: 'invalid_request_error',
    code: null,
    message:
      "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
  },
  rate_limit_exceeded: {
    status: 429,
    type: 'rate_limit_error',
    code: 'rate_limit_exceeded',
    message: 'Rate limit reached for requests. Please try again in a moment.',
  },
  internal_error: {
    status: 500,
    type: 'api_error',
    code: 'internal_error',
    message: 'The server had an error while processing your request. Sorry about that!',
  },
  timeout: {
    status: 408,
    type: 'timeout',
    code: 'timeout',
    message: 'The model timed out while processing the request. Try your request again.',
  },
  service_unavailable: {
    status: 503,
    type: 'service_unavailable_error',
    code: 'service_unavailable',
    message: 'The engine is currently overloaded, please try again later.',
  },
  invalid_request: { status: 400, type: 'invalid_request_error', code: null, message: 'Invalid request.' },
} as const satisfies Record<string, Omit<OpenAIErrorBody, 'param'>>;

/** Names of the errors above. */
export type OpenAIErrorCode = keyof typeof OPENAI_ERRORS;

/** The error an injected fault answers with before any byte is sent; null for `delay`. */
export const FAULT_OPENAI_ERRORS: Partial<Record<FaultKind, OpenAIErrorCode>> = {
  throttle: 'rate_limit_exceeded',
  error: 'internal_error',
  timeout: 'timeout',
  unavailable: 'service_unavailable',
};

const STREAM_ERRORS: Record<StreamException, OpenAIErrorCode> = {
  internalServerException: 'internal_error',
  modelStreamErrorException: 'internal_error',
  throttlingException: 'rate_limit_exceeded',
  serviceUnavailableException: 'service_unavailable',
  validationException: 'invalid_request',
  modelTimeoutException: 'timeout',
};

/** The body of an error: one of the errors above, with an optional message and param. */
export function openaiErrorBody(
  code: OpenAIErrorCode,
  message?: string,
  param: string | null = null,
): { error: Omit<OpenAIErrorBody, 'status'> } {
  const known = OPENAI_ERRORS[code];
  return { error: { message: message ?? known.message, type: known.type, param, code: known.code } };
}

/** An OpenAI-shaped JSON error response. */
export function openaiError(code: OpenAIErrorCode, message?: string, param: string | null = null): Response {
  return new Response(JSON.stringify(openaiErrorBody(code, message, param)), {
    status: OPENAI_ERRORS[code].status,
    headers: { 'content-type': 'application/json' },
  });
}

/** The 404 of a model the simulator has no profile for. */
export function modelNotFound(model: string): Response {
  const body = {
    error: {
      message: `The model \`${model}\` does not exist or you do not have access to it.`,
      type: 'invalid_request_error',
      param: 'model',
      code: 'model_not_found',
    },
  };
  return new Response(JSON.stringify(body), { status: 404, headers: { 'content-type': 'application/json' } });
}

/** The error a `stream-error` fault sends inside an event stream. */
export function streamErrorCode(exception: StreamException | undefined): OpenAIErrorCode {
  return STREAM_ERRORS[exception ?? 'internalServerException'];
}
