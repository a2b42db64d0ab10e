import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { drainOnSignals, type ShutdownSignal } from './signals.ts';

function setup() {
  const source = new EventEmitter();
  const drains: ShutdownSignal[] = [];
  const lines: string[] = [];
  drainOnSignals(
    (s) => drains.push(s),
    (l) => lines.push(l),
    source,
  );
  return { source, drains, lines };
}

describe('drainOnSignals', () => {
  it('starts one drain on the first signal and only logs the repeats, of either kind', () => {
    const { source, drains, lines } = setup();
    source.emit('SIGTERM');
    source.emit('SIGTERM');
    source.emit('SIGINT');
    expect(drains).toEqual(['SIGTERM']);
    expect(lines).toEqual([
      'SIGTERM again: the drain goes on (started by SIGTERM); observations are flushed before exit',
      'SIGINT again: the drain goes on (started by SIGTERM); observations are flushed before exit',
    ]);
  });

  it('keeps its handlers installed, so a repeat never reaches the default action', () => {
    const { source, drains } = setup();
    source.emit('SIGINT');
    expect(source.listenerCount('SIGINT')).toBe(1);
    expect(source.listenerCount('SIGTERM')).toBe(1);
    expect(drains).toEqual(['SIGINT']);
  });
});
