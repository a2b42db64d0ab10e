import type { z } from 'zod';

/** Admin error codes and their statuses (DESIGN's status list). */
export const ADMIN_ERRORS = {
  malformed_json: 400,
  json_too_deep: 400,
  invalid_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  precondition_failed: 412,
  payload_too_large: 413,
  store_unavailable: 503,
  internal: 500,
} as const;
export type AdminErrorCode = keyof typeof ADMIN_ERRORS;

/** A field-level problem: dotted path and message. */
export interface FieldIssue {
  path: string;
  message: string;
}

/** An expected admin failure; the app's error handler turns it into `{error: {code, message, issues?}, requestId}`. */
export class AdminError extends Error {
  override name = 'AdminError';
  constructor(
    readonly code: AdminErrorCode,
    message: string,
    readonly issues?: FieldIssue[],
  ) {
    super(message);
  }
  get status(): (typeof ADMIN_ERRORS)[AdminErrorCode] {
    return ADMIN_ERRORS[this.code];
  }
}

/** Zod issues as field-level issues, paths prefixed with `prefix` when given. */
export function fieldIssues(error: z.ZodError, prefix?: string): FieldIssue[] {
  return error.issues.map((i) => {
    const path = [prefix, ...i.path.map(String)].filter((p) => p !== undefined && p !== '').join('.');
    return { path: path || '(root)', message: i.message };
  });
}

/** The one-line summary of field issues used as the error message. */
export function summarise(what: string, issues: FieldIssue[]): string {
  return `${what}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`;
}
