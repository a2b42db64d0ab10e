import { describe, expect, it } from 'vitest';
import { assignmentSrm } from './assignment-check.ts';
import type { AssignmentCounts } from './queries/assignment.ts';

const group = (arm: AssignmentCounts['arm'], sessions: number, over: Partial<AssignmentCounts> = {}): AssignmentCounts => ({
  arm,
  configVersion: null,
  expectedShare: null,
  period: 0,
  sessions,
  ...over,
});
const history = [
  { version: 2, time: 100, split: 0.1 },
  { version: 5, time: 500, split: 0.5 },
];

describe("expected shares of an experiment's sessions", () => {
  it('prefers the recorded share, then the config store history (by version, then by time), then the configuration split', () => {
    const srm = assignmentSrm(
      [
        group('control', 900, { configVersion: 7, expectedShare: 0.9 }),
        group('treatment', 100, { configVersion: 7, expectedShare: 0.1 }),
        group('control', 450, { configVersion: 3 }),
        group('treatment', 50, { configVersion: 3 }),
        group('control', 200, { period: 2 }),
        group('treatment', 200, { period: 2 }),
        group('control', 300),
        group('treatment', 100),
      ],
      history,
      0.25,
      0.001,
    )!;
    expect(srm.periods.map((p) => [p.source, p.label, p.treatmentShare, p.control, p.treatment])).toEqual([
      ['recorded', 'version 7', 0.1, 900, 100],
      ['history', 'version 3', 0.1, 450, 50],
      ['history', 'since 1970-01-01T00:00:00.500Z (version 5)', 0.5, 200, 200],
      ['configuration', 'configuration split', 0.25, 300, 100],
    ]);
    expect(srm.expected[1]).toBeCloseTo(100 + 50 + 200 + 100, 9);
    expect(srm.mismatch).toBe(false);
    expect(srm.unknownSessions).toBe(0);
  });

  it('leaves sessions with an unknown split out, and has no check when none is known', () => {
    const counts = [
      group('control', 80),
      group('treatment', 20),
      group('control', 45, { expectedShare: 0.9 }),
      group('treatment', 5, { expectedShare: 0.1 }),
    ];
    const partial = assignmentSrm(counts, [], null, 0.001)!;
    expect(partial.unknownSessions).toBe(100);
    expect(partial.observed).toEqual([45, 5]);
    expect(assignmentSrm(counts.slice(0, 2), [], null, 0.001)).toBeNull();
  });

  it('does not use a history period in which the experiment was not running', () => {
    const counts = [group('control', 10, { period: 1 }), group('treatment', 10, { period: 1 })];
    const srm = assignmentSrm(counts, [{ version: 1, time: 0, split: null }], 0.5, 0.001)!;
    expect(srm.periods.map((p) => p.source)).toEqual(['configuration']);
  });
});
