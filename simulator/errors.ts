/** The AWS error types the simulator answers with. */
export type ErrorType =
  | 'ValidationException'
  | 'ThrottlingException'
  | 'ModelTimeoutException'
  | 'InternalServerException'
  | 'ServiceUnavailableException'
  | 'InvalidSignatureException'
  | 'MissingAuthenticationTokenException'
  | 'UnrecognizedClientException'
  | 'UnknownOperationException';

const STATUS: Record<ErrorType, number> = {
  ValidationException: 400,
  ThrottlingException: 429,
  ModelTimeoutException: 408,
  InternalServerException: 500,
  ServiceUnavailableException: 503,
  InvalidSignatureException: 403,
  MissingAuthenticationTokenException: 403,
  UnrecognizedClientException: 403,
  UnknownOperationException: 404,
};

/** The default message of each error type, worded like Bedrock's. */
export const ERROR_MESSAGES: Record<ErrorType, string> = {
  ValidationException: 'The provided model identifier is invalid.',
  ThrottlingException: 'Too many requests, please wait before trying again.',
  ModelTimeoutException: 'Model has timed out in processing the request. Try your request again.',
  InternalServerException: 'The system encountered an unexpected error during processing. Try your request again.',
  ServiceUnavailableException: 'Bedrock is unable to process your request.',
  InvalidSignatureException:
    'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
  MissingAuthenticationTokenException: 'Missing Authentication Token',
  UnrecognizedClientException: 'The security token included in the request is invalid.',
  UnknownOperationException: 'Unknown operation.',
};

/** HTTP status of an error type. */
export function errorStatus(type: ErrorType): number {
  return STATUS[type];
}

/** An AWS JSON error response: status, `x-amzn-ErrorType` header and a `{message}` body. */
export function awsError(type: ErrorType, message: string = ERROR_MESSAGES[type], headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ message }), {
    status: STATUS[type],
    headers: { ...headers, 'content-type': 'application/json', 'x-amzn-ErrorType': type },
  });
}

/** The event-stream member name of an error type (`throttlingException`). */
export function streamExceptionName(type: ErrorType): string {
  return type[0]!.toLowerCase() + type.slice(1);
}

/** The message of an event-stream exception member (`throttlingException` ...). */
export function streamExceptionMessage(member: string): string {
  const type = (member[0]!.toUpperCase() + member.slice(1)) as ErrorType;
  return ERROR_MESSAGES[type] ?? 'The model returned an error while streaming its response. Try your request again.';
}
