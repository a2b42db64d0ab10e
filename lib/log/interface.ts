/** Severity of a log line, lowest first. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** How lines are written: `text` for people (`time LEVEL message key=value ...`), `json` for log shippers. */
export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Structured fields of a line; values are written as they are (strings, numbers, booleans, null). */
export type LogFields = Record<string, string | number | boolean | null | undefined>;

/**
 * The logging port: one line per call, with a message and fields. Runtime-neutral (no Node import), so the
 * data plane can log the same way on Node and on Workers. Callers never pass secrets or request bodies.
 */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

/** Whether a line at `level` passes a logger set to `threshold`. */
export function levelEnabled(level: LogLevel, threshold: LogLevel): boolean {
  return LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(threshold);
}

/** A logger that writes nothing (the default where none is given). */
export const noLogger: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** Adapts a logger to the `(line) => void` callbacks older parts take: each line at `level`, no fields. */
export function lineLog(logger: Logger, level: LogLevel = 'info'): (line: string) => void {
  return (line) => logger[level](line);
}
