import type { FeedbackRecord } from '../../schema/feedback.ts';
import type { Observation } from '../../schema/observation.ts';
import type { ShadowOutcome } from '../shadow/dispatcher.ts';

/** Counts what the data plane does, for a metrics endpoint. Implementations must be cheap and never throw. */
export interface Telemetry {
  observation(observation: Observation): void;
  feedback(events: FeedbackRecord[]): void;
  /** One shadow request's outcome (`gateway_shadow_requests_total`). */
  shadow?(outcome: ShadowOutcome): void;
  /** A request moved from one configuration to its fallback (labels bounded by the configuration). */
  fallback?(event: { route: string; from: string; to: string; reason: string }): void;
  /** Prometheus text exposition, if this implementation serves one. */
  exposition?(): Promise<{ contentType: string; body: string }>;
}

/** Telemetry that records nothing (tests, runtimes without metrics). */
export const noTelemetry: Telemetry = { observation() {}, feedback() {} };
