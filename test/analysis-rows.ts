import type Database from 'better-sqlite3';
import type { FeedbackRecord } from '../schema/feedback.ts';
import type { Observation, TrafficClass } from '../schema/observation.ts';
import { sqliteRecordStore } from '../stores/observations/sqlite.ts';
import { defaultProfiles, findProfile, intentProfile } from '../simulator/profiles.ts';
import { drawQuality } from '../simulator/quality.ts';
import { createRng, sampleLognormal, type Rng } from '../simulator/rng.ts';

/** Price per 1K tokens and upstream model of each simulated configuration. */
export const SIM_CONFIGS: Record<string, { model: string; input: number; output: number }> = {
  'sonnet-35-v1': { model: 'anthropic.claude-3-5-sonnet-20240620-v1:0', input: 0.003, output: 0.015 },
  'sonnet-35-v2': { model: 'anthropic.claude-3-5-sonnet-20241022-v2:0', input: 0.003, output: 0.015 },
  'haiku-35': { model: 'anthropic.claude-3-5-haiku-20241022-v1:0', input: 0.001, output: 0.005 },
  'sonnet-3': { model: 'anthropic.claude-3-sonnet-20240229-v1:0', input: 0.003, output: 0.015 },
};

/** The MangaAssist document's traffic mix. */
export const MANGA_MIX: Record<string, number> = {
  recommendation: 0.25,
  product_question: 0.2,
  faq: 0.15,
  order_tracking: 0.15,
  promotion: 0.1,
  checkout_help: 0.05,
  chitchat: 0.08,
  return_request: 0.02,
};

export interface SimulatedRowsOptions {
  sessions: number;
  requestsPerSession: number;
  seed: number;
  /** Configurations live traffic is spread over, per intent (uniformly). */
  configs: (intent: string) => string[];
  /** Share of extra rows written as eval, warm-up or shadow traffic with absurd values, which must be ignored. */
  nonLiveShare?: number;
  errorRate?: number;
  batchSize?: number;
}

function pick(rng: Rng, mix: Record<string, number>): string {
  let u = rng.next();
  const entries = Object.entries(mix);
  for (const [k, w] of entries) {
    u -= w;
    if (u < 0) return k;
  }
  return entries[entries.length - 1]![0];
}

/**
 * Writes simulated observations and quality feedback straight into a gateway database with the store code.
 * Quality follows the simulator profiles' declared distributions (Scenario A means); latency and tokens
 * follow the profiles' timing and budgets. Returns the number of live observations.
 */
export function writeSimulatedRows(db: Database.Database, o: SimulatedRowsOptions): number {
  const store = sqliteRecordStore(db);
  const profiles = defaultProfiles();
  const rng = createRng(o.seed);
  const batchSize = o.batchSize ?? 5000;
  let observations: Observation[] = [];
  let feedback: FeedbackRecord[] = [];
  let live = 0;
  let seq = 0;
  const flush = (): void => {
    store.write({ observations, feedback });
    observations = [];
    feedback = [];
  };
  for (let s = 0; s < o.sessions; s++) {
    const sessionId = `s${o.seed}-${s}`;
    for (let r = 0; r < o.requestsPerSession; r++) {
      const intent = pick(rng, MANGA_MIX);
      const options = o.configs(intent);
      const configId = options[rng.int(options.length)]!;
      const cfg = SIM_CONFIGS[configId]!;
      const profile = findProfile(profiles, cfg.model)!;
      const behaviour = intentProfile(profile, intent);
      const nonLive = rng.next() < (o.nonLiveShare ?? 0);
      // One draw picks the class, so adding a class left every other row as it was.
      const u = nonLive ? rng.next() : 1;
      const traffic: TrafficClass = nonLive ? (u < 0.35 ? 'eval' : u < 0.7 ? 'warmup' : 'shadow') : 'live';
      const failed = !nonLive && rng.next() < (o.errorRate ?? 0.005);
      const inputTokens = failed ? 0 : Math.round(behaviour.budget * (0.6 + 0.4 * rng.next()));
      const outputTokens = failed ? 0 : Math.round(behaviour.budget * behaviour.fraction * (0.8 + 0.4 * rng.next()));
      const ttft = sampleLognormal(rng, profile.ttft);
      const latency = nonLive ? 60_000 : ttft + (outputTokens / sampleLognormal(rng, profile.tps)) * 1000;
      const requestId = `r${o.seed}-${seq++}`;
      observations.push({
        requestId,
        time: 1_700_000_000_000 + seq,
        route: 'mangaassist',
        intent,
        sessionId,
        traffic,
        experimentId: null,
        canaryId: null,
        arm: 'default',
        configId,
        upstreamModel: cfg.model,
        operation: 'converse',
        streamed: false,
        status: failed ? 429 : 200,
        errorCode: failed ? 'ThrottlingException' : null,
        inputTokens,
        outputTokens,
        costUsd: nonLive ? 5 : (inputTokens / 1000) * cfg.input + (outputTokens / 1000) * cfg.output,
        ttftMs: failed ? null : ttft,
        latencyMs: latency,
        overheadMs: 0.3,
        // Every 23rd answer blocked by a guardrail (no random draw, so the other figures stay as they were).
        stopReason: failed ? null : seq % 23 === 0 ? 'guardrail_intervened' : 'end_turn',
      });
      if (!failed) {
        const value = nonLive ? (configId === 'haiku-35' ? 1 : 0) : drawQuality(behaviour, rng);
        feedback.push({
          eventId: `f-${requestId}`,
          receivedAt: 0,
          scope: 'request',
          key: requestId,
          metric: 'quality_score',
          value,
          idempotencyKey: null,
          eventTime: 0,
        });
      }
      if (!nonLive) live++;
      if (observations.length >= batchSize) flush();
    }
  }
  flush();
  return live;
}

export interface ExperimentRowsOptions {
  experimentId: string;
  intent: string;
  control: string;
  treatment: string;
  /** Share of sessions actually assigned to the treatment. */
  treatmentShare: number;
  sessions: number;
  seed: number;
  /** Standard deviation of a per-session quality shift (correlates the requests of a session). */
  sessionSd: number;
  cartAdd: [number, number];
  escalated: [number, number];
  /**
   * Periods of constant assignment, in order: from session `fromSession` on, sessions are treated with
   * `treatmentShare`, their rows are timed from `time` and carry `configVersion` with the arm's expected share
   * (neither when `configVersion` is null, as a gateway that did not record them wrote its rows).
   */
  periods?: { fromSession: number; treatmentShare: number; time: number; configVersion: number | null }[];
  /** Share of treatment sessions never recorded, as a broken assignment loses them. */
  lostTreatment?: number;
}

/** Writes a live A/B experiment: sessions of 1-4 requests, quality feedback and session outcomes. */
export function writeExperimentRows(db: Database.Database, o: ExperimentRowsOptions): void {
  const store = sqliteRecordStore(db);
  const profiles = defaultProfiles();
  const rng = createRng(o.seed);
  const observations: Observation[] = [];
  const feedback: FeedbackRecord[] = [];
  let seq = 0;
  for (let s = 0; s < o.sessions; s++) {
    const sessionId = `${o.experimentId}-s${s}`;
    const period = o.periods?.filter((p) => p.fromSession <= s).at(-1);
    const share = period?.treatmentShare ?? o.treatmentShare;
    const treated = rng.next() < share;
    if (treated && o.lostTreatment && rng.next() < o.lostTreatment) continue;
    const recorded = period && period.configVersion !== null;
    const assignment = recorded ? { configVersion: period.configVersion, expectedShare: treated ? share : 1 - share } : {};
    const configId = treated ? o.treatment : o.control;
    const cfg = SIM_CONFIGS[configId]!;
    const profile = findProfile(profiles, cfg.model)!;
    const behaviour = intentProfile(profile, o.intent);
    const shift = o.sessionSd * rng.normal();
    const requests = 1 + rng.int(4);
    for (let r = 0; r < requests; r++) {
      const requestId = `${o.experimentId}-r${seq++}`;
      const inputTokens = Math.round(behaviour.budget * (0.6 + 0.4 * rng.next()));
      const outputTokens = Math.round(behaviour.budget * behaviour.fraction * (0.8 + 0.4 * rng.next()));
      const ttft = sampleLognormal(rng, profile.ttft);
      observations.push({
        requestId,
        time: (period?.time ?? 1_700_000_000_000) + seq,
        route: 'mangaassist',
        intent: o.intent,
        sessionId,
        traffic: 'live',
        experimentId: o.experimentId,
        canaryId: null,
        arm: treated ? 'treatment' : 'control',
        configId,
        upstreamModel: cfg.model,
        operation: 'converse',
        streamed: false,
        status: 200,
        errorCode: null,
        inputTokens,
        outputTokens,
        costUsd: (inputTokens / 1000) * cfg.input + (outputTokens / 1000) * cfg.output,
        ttftMs: ttft,
        latencyMs: ttft + (outputTokens / sampleLognormal(rng, profile.tps)) * 1000,
        overheadMs: 0.3,
        ...assignment,
      });
      const value = Math.min(1, Math.max(0, drawQuality(behaviour, rng) + shift));
      feedback.push({
        eventId: `f-${requestId}`,
        receivedAt: 0,
        scope: 'request',
        key: requestId,
        metric: 'quality_score',
        value,
        idempotencyKey: null,
        eventTime: 0,
      });
    }
    const arm = treated ? 1 : 0;
    const outcome = (metric: FeedbackRecord['metric'], value: number): void => {
      feedback.push({
        eventId: `f-${sessionId}-${metric}`,
        receivedAt: 0,
        scope: 'session',
        key: sessionId,
        metric,
        value,
        idempotencyKey: null,
        eventTime: 0,
      });
    };
    outcome('cart_add', rng.next() < o.cartAdd[arm]! ? 1 : 0);
    outcome('escalated', rng.next() < o.escalated[arm]! ? 1 : 0);
    outcome('session_duration_s', Math.max(5, 180 + 60 * rng.normal()));
  }
  store.write({ observations, feedback });
}
