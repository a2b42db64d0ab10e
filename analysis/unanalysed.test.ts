import { describe, expect, it } from 'vitest';
import { loadGatewayConfig } from '../stores/config/file.ts';
import type { AssignmentCounts } from './queries/assignment.ts';
import type { ArmSums } from './queries/experiments.ts';
import type { AnalysisSource } from './queries/source.ts';
import { runAnalysis } from './report/build.ts';
import { renderMarkdown } from './report/markdown.ts';
import { AnalysisSettings } from './settings.ts';

/** `sessions` sessions of one request each, `errors` of them failed, every successful one scored 0.8. */
function arm(name: string, sessions: number, errors: number): ArmSums {
  const scored = sessions - errors;
  const ratio = (y: number) => ({ sessions, sumY: y, sumN: sessions, sumYY: y, sumNN: sessions, sumYN: y });
  return {
    arm: name,
    configId: `${name}-config`,
    requests: sessions,
    errors,
    costUsd: 0.006 * sessions,
    scored,
    qualitySum: 0.8 * scored,
    qualitySumSq: 0.64 * scored,
    session: { ...ratio(0.8 * scored), sumN: scored },
    errorSession: ratio(errors),
    costSession: ratio(0.006 * sessions),
  };
}

/** Every session's first request recorded at an even split. */
const recorded = (arm: AssignmentCounts['arm'], sessions: number): AssignmentCounts => ({
  arm,
  configVersion: 3,
  expectedShare: 0.5,
  period: 0,
  sessions,
});

const data: Record<string, { arms: ArmSums[]; assignment: AssignmentCounts[] }> = {
  // The treatment fails on every request: nothing of it is scored.
  failing: {
    arms: [arm('control', 500, 2), arm('treatment', 480, 480)],
    assignment: [recorded('control', 500), recorded('treatment', 480)],
  },
  // Every treatment session is lost before it reaches the log.
  lost: { arms: [arm('control', 600, 3)], assignment: [recorded('control', 600)] },
};

const source: AnalysisSource = {
  kind: 'sqlite',
  cells: async () => [],
  percentiles: async () => new Map(),
  experimentIds: async () => Object.keys(data),
  arms: async (_f, id) => data[id]!.arms,
  outcomes: async () => [],
  assignments: async (_f, id) => data[id]!.assignment,
  close: async () => {},
};

describe('experiments that cannot be compared', () => {
  it('are listed with why, their arms and their sample-ratio check instead of vanishing from the report', async () => {
    const config = loadGatewayConfig('config/mangaassist.json');
    const report = await runAnalysis({ source, config, settings: AnalysisSettings.parse({}) });
    expect(report.experiments).toEqual([]);
    expect(report.unanalysed.map((u) => u.id)).toEqual(['failing', 'lost']);
    const [failing, lost] = report.unanalysed;
    expect(failing!.reason).toBe(
      'not compared: the treatment arm has 0 scored request(s) in 480 session(s) (2 needed), 480 of its 480 requests failed',
    );
    expect(failing!.srm!.mismatch).toBe(false);
    expect(lost!.reason).toBe('not compared: the treatment arm has no requests');
    expect(lost!.arms[1]).toEqual({ arm: 'treatment', configId: null, sessions: 0, requests: 0, errors: 0, scored: 0 });
    expect(lost!.srm!.observed).toEqual([600, 0]);
    expect(lost!.srm!.mismatch).toBe(true);
    const markdown = renderMarkdown(report);
    expect(markdown).toContain('### failing: **NOT COMPARED**');
    expect(markdown).toMatch(/### lost: \*\*NOT COMPARED\*\*[\s\S]*Sample ratio: chi2 600\.00, p [^,]+ \*\*MISMATCH\*\*/);
  });
});
