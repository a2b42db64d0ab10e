import { ERRORS, GatewayError } from '../errors.ts';
import type { AnswerContext, StreamContext } from './interface.ts';

/** The endings of an answer cut short, other than an upstream's own error (which keeps its type and status). */
export type CutShort = 'upstream_idle_timeout' | 'upstream_malformed' | 'upstream_reset' | 'client_abort' | 'shutdown_abort' | 'internal';

/** The client-facing message of an ending; `detail` says what was malformed. */
export function cutShortMessage(code: CutShort, call: StreamContext, detail = ''): string {
  switch (code) {
    case 'upstream_idle_timeout':
      return `the model endpoint sent nothing for ${call.idleTimeoutMs} ms; the answer is incomplete`;
    case 'upstream_malformed':
      return `the model endpoint sent a malformed answer${detail ? `: ${detail}` : ''}`;
    case 'upstream_reset':
      return 'the model endpoint closed the connection mid-answer';
    case 'shutdown_abort':
      return 'the gateway is shutting down; retry the request';
    case 'client_abort':
      return 'the client went away before the answer was complete';
    default:
      return 'internal gateway error';
  }
}

/**
 * The error type an event-stream frame carries for an ending: one of the types both Bedrock stream unions know,
 * so SDK clients raise it typed (`ModelTimeoutException` exists for whole answers only).
 */
export function streamErrorType(code: CutShort): string {
  if (code === 'shutdown_abort') return 'ServiceUnavailableException';
  if (code === 'internal') return 'InternalServerException';
  return 'ModelStreamErrorException';
}

/** Records an ending on the meter (once) and returns the error the client gets for it. */
export function recordCutShort(call: AnswerContext, code: CutShort, detail?: string): GatewayError {
  call.meter.finish(ERRORS[code].status, code);
  return new GatewayError(code, cutShortMessage(code, call, detail));
}
