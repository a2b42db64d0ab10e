import type { Observation } from '../../schema/observation.ts';

/**
 * Request `i` of experiment `e1`, one per session: odd requests in treatment, even in control, routed under
 * configuration version 12 with their arm's share (0.25 / 0.75); `over` replaces any field.
 */
export function experimentObservation(i: number, over: Partial<Observation> = {}): Observation {
  return {
    requestId: `req-${i}`,
    time: 1_700_000_000_000 + i,
    route: 'mangaassist',
    intent: 'recommendation',
    sessionId: `s-${i}`,
    traffic: 'live',
    experimentId: 'e1',
    canaryId: null,
    arm: i % 2 ? 'treatment' : 'control',
    configId: 'c',
    upstreamModel: 'm',
    operation: 'converse',
    streamed: false,
    status: 200,
    errorCode: null,
    inputTokens: 1,
    outputTokens: 2,
    costUsd: 1e-6,
    ttftMs: 5,
    latencyMs: 5,
    overheadMs: 0.1,
    configVersion: 12,
    expectedShare: i % 2 ? 0.25 : 0.75,
    ...over,
  };
}
