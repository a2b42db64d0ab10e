import { describe, expect, it } from 'vitest';
import { lineLog } from './interface.ts';
import { formatLine, lineLogger } from './line.ts';
import { MemoryLogger } from './memory.ts';

const TIME = Date.UTC(2026, 10, 29, 23, 0, 0, 5);

describe('line logger', () => {
  it('writes JSON lines with time, level, msg and the fields (undefined and reserved fields left out)', () => {
    const lines: string[] = [];
    const logger = lineLogger({ format: 'json', level: 'info', write: (l) => lines.push(l), now: () => TIME });
    logger.warn('request failed', { requestId: 'r1', status: 429, streamed: false, canary: null, session: undefined, msg: 'not mine' });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toEqual({
      time: '2026-11-29T23:00:00.005Z',
      level: 'warn',
      msg: 'request failed',
      requestId: 'r1',
      status: 429,
      streamed: false,
      canary: null,
    });
  });

  it('writes text lines as time, level, message and key=value pairs, quoting values with spaces', () => {
    expect(formatLine('text', TIME, 'info', 'admin change', { actor: 'admin:ab12', resource: 'routes/main', reason: 'a b', n: 3 })).toBe(
      '2026-11-29T23:00:00.005Z INFO  admin change actor=admin:ab12 resource=routes/main reason="a b" n=3',
    );
    expect(formatLine('text', TIME, 'error', 'plain start-up line', {})).toBe('2026-11-29T23:00:00.005Z ERROR plain start-up line');
  });

  it('keeps a text line on one line when its message carries line breaks (an error message, say)', () => {
    const line = formatLine('text', TIME, 'warn', 'config store unreachable at start: first\nsecond\r\nthird', { error: 'a\nb' });
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toBe('2026-11-29T23:00:00.005Z WARN  config store unreachable at start: first\\nsecond\\r\\nthird error="a\\nb"');
  });

  it('drops lines below its level', () => {
    const lines: string[] = [];
    const logger = lineLogger({ format: 'text', level: 'warn', write: (l) => lines.push(l) });
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    expect(lines.map((l) => l.split(' ').at(-1))).toEqual(['w', 'e']);
  });

  it('adapts to plain line callbacks at a chosen level', () => {
    const memory = new MemoryLogger();
    lineLog(memory, 'warn')('grace period over');
    expect(memory.entries).toEqual([{ level: 'warn', msg: 'grace period over', fields: {} }]);
  });
});
