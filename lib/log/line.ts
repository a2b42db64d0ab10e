import { levelEnabled, type LogFields, type LogFormat, type Logger, type LogLevel } from './interface.ts';

/** Options of the line logger. */
export interface LineLoggerOptions {
  format: LogFormat;
  /** Lines below this level are dropped. */
  level: LogLevel;
  /** Where a finished line goes; `console.log` (standard output) by default. */
  write?: (line: string) => void;
  /** Epoch ms of a line; `Date.now` by default. */
  now?: () => number;
}

/** A value in a text line: bare when it has no space, quote or `=`, JSON-quoted otherwise. */
function textValue(value: string | number | boolean | null): string {
  const s = String(value);
  return typeof value === 'string' && (s === '' || /[\s"=]/.test(s)) ? JSON.stringify(s) : s;
}

const RESERVED = new Set(['time', 'level', 'msg']);

/**
 * Formats one line: a JSON object (time, level, msg, then the fields) or `time LEVEL msg key=value ...`. Undefined
 * fields are left out, and so are fields named `time`, `level` or `msg` (they would overwrite the line's own).
 */
export function formatLine(format: LogFormat, time: number, level: LogLevel, msg: string, fields: LogFields): string {
  const iso = new Date(time).toISOString();
  const defined = Object.entries(fields).filter(
    (e): e is [string, string | number | boolean | null] => e[1] !== undefined && !RESERVED.has(e[0]),
  );
  if (format === 'json') return JSON.stringify({ time: iso, level, msg, ...Object.fromEntries(defined) });
  const pairs = defined.map(([k, v]) => ` ${k}=${textValue(v)}`).join('');
  // A line break in the message (an error's text, say) is written as `\n`, so one event stays one line.
  const oneLine = msg.replace(/\r/g, '\\r').replace(/\n/g, '\\n');
  return `${iso} ${level.toUpperCase().padEnd(5)} ${oneLine}${pairs}`;
}

/** A logger that writes one formatted line per call (runtime-neutral: it only needs a `write`). */
export function lineLogger(options: LineLoggerOptions): Logger {
  const write = options.write ?? ((line: string) => console.log(line));
  const now = options.now ?? Date.now;
  const at =
    (level: LogLevel) =>
    (msg: string, fields: LogFields = {}): void => {
      if (levelEnabled(level, options.level)) write(formatLine(options.format, now(), level, msg, fields));
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
