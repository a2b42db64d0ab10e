import { z } from 'zod';
import { formatIssues } from './config.ts';

/** The environment of an entry point failed its schema; the message names each bad variable. */
export class EnvError extends Error {
  override name = 'EnvError';
}

/**
 * Reads an entry point's environment once, with its zod schema. An empty variable counts as unset (so its
 * default applies), as in a shell's `VAR= command`. Throws EnvError listing `VARIABLE: problem` lines.
 */
export function parseEnv<S extends z.ZodType>(schema: S, source: Record<string, string | undefined> = process.env): z.infer<S> {
  const set = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = schema.safeParse(set);
  if (!parsed.success) throw new EnvError(`invalid environment:\n${formatIssues(parsed.error)}`);
  return parsed.data;
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
