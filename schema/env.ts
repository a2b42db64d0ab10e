import { z } from 'zod';
import { formatIssues } from './config.ts';

/** Raised when the environment has a bad value; the message names each bad variable. */
export class EnvError extends Error {
  override name = 'EnvError';
}

/** Parses an environment with `schema`; a bad value throws an `EnvError` naming the variable. */
export function parseEnv<S extends z.ZodType>(schema: S, source: Record<string, string | undefined>): z.infer<S> {
  const parsed = schema.safeParse(source);
  if (!parsed.success) throw new EnvError(`invalid environment:\n${formatIssues(parsed.error)}`);
  return parsed.data;
}

/**
 * The environment of a command-line entry point: parsed with `schema`, or null once `report` got the message
 * naming each bad variable (the command then exits with status 2).
 */
export function commandEnv<S extends z.ZodType>(
  schema: S,
  source: Record<string, string | undefined>,
  report: (message: string) => void,
): z.infer<S> | null {
  const parsed = schema.safeParse(source);
  if (parsed.success) return parsed.data;
  report(`invalid environment:\n${formatIssues(parsed.error)}`);
  return null;
}

/** The environment without its empty variables, for entry points where `VAR=` means unset (the default applies). */
export function withoutEmpty(source: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(source).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''));
}

/** A comma-separated list of names from `allowed` (spaces and empty items ignored), naming the unknown ones. */
export function nameList<T extends string>(allowed: readonly [T, ...T[]]) {
  return z
    .string()
    .transform((text) =>
      text
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean),
    )
    .pipe(
      z.array(z.enum(allowed, { error: (issue) => `unknown ${String(issue.input)} (use ${allowed.join(', ')})` })).min(1, 'names nothing'),
    );
}
