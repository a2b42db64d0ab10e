import { levelEnabled, type LogFields, type Logger, type LogLevel } from './interface.ts';

/** One line as a memory logger keeps it. */
export interface LogEntry {
  level: LogLevel;
  msg: string;
  fields: LogFields;
}

/** Keeps lines in memory, for tests: `entries` in order, `find(msg)` for the lines with a message. */
export class MemoryLogger implements Logger {
  readonly entries: LogEntry[] = [];

  constructor(private readonly threshold: LogLevel = 'debug') {}

  debug(msg: string, fields: LogFields = {}): void {
    this.add('debug', msg, fields);
  }
  info(msg: string, fields: LogFields = {}): void {
    this.add('info', msg, fields);
  }
  warn(msg: string, fields: LogFields = {}): void {
    this.add('warn', msg, fields);
  }
  error(msg: string, fields: LogFields = {}): void {
    this.add('error', msg, fields);
  }

  /** Lines whose message is `msg`. */
  find(msg: string): LogEntry[] {
    return this.entries.filter((e) => e.msg === msg);
  }

  /** Every line as JSON text, to search for strings that must never be logged. */
  text(): string {
    return this.entries.map((e) => JSON.stringify(e)).join('\n');
  }

  private add(level: LogLevel, msg: string, fields: LogFields): void {
    if (levelEnabled(level, this.threshold)) this.entries.push({ level, msg, fields: { ...fields } });
  }
}
