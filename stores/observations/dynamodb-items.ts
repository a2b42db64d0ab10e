import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { FeedbackRecord } from '../../schema/feedback.ts';
import type { Observation } from '../../schema/observation.ts';

/**
 * How records become DynamoDB items, shared by the SDK store (Node) and the fetch-based writer (the Worker), so
 * both runtimes write the same items. Types only from the SDK: importing this pulls no SDK code into a bundle.
 */

/** Partition of requests outside any experiment. */
export const NO_EXPERIMENT = '_none';

export const TIME_DIGITS = 15;
/** Zero-padded epoch ms, so sort keys order by time. */
export const pad = (ms: number): string => String(Math.max(0, Math.trunc(ms))).padStart(TIME_DIGITS, '0');

/** Partition key of an experiment's observations. */
export const experimentKey = (experimentId: string | null): string => `EXP#${experimentId ?? NO_EXPERIMENT}`;
/** Sort key of an observation: zero-padded epoch ms, then the request id, so two requests never share an item. */
export const observationSortKey = (o: Pick<Observation, 'time' | 'requestId'>): string => `OBS#${pad(o.time)}#${o.requestId}`;
/** Partition key of a canary's observations (copies of the experiment partition's items). */
export const canaryKey = (canaryId: string): string => `CAN#${canaryId}`;
/** Partition key of the feedback about one request or session. */
export const feedbackKey = (scope: string, key: string): string => `FB#${scope}#${key}`;
/** Sort key of a feedback event: event time, then the unique event id. */
export const feedbackSortKey = (f: Pick<FeedbackRecord, 'eventTime' | 'eventId'>): string => `EVT#${pad(f.eventTime)}#${f.eventId}`;

/** The item of one observation in partition `pk` (its experiment's by default). */
export function observationItem(o: Observation, pk = experimentKey(o.experimentId)): Record<string, AttributeValue> {
  const item: Record<string, AttributeValue> = {
    pk: { S: pk },
    sk: { S: observationSortKey(o) },
    kind: { S: 'observation' },
    request_id: { S: o.requestId },
    time: { N: String(o.time) },
    route: { S: o.route },
    intent: { S: o.intent },
    arm: { S: o.arm },
    traffic: { S: o.traffic },
    record: { S: JSON.stringify(o) },
  };
  if (o.configId) item.config_id = { S: o.configId };
  if (o.sessionId) item.session_id = { S: o.sessionId };
  return item;
}

/**
 * Every item of one observation, keyed by partition and sort key (so a batch holds each once): the experiment
 * partition's, and for a canary's request a copy in the canary's partition that canary windows read.
 */
export function observationItems(o: Observation): [string, Record<string, AttributeValue>][] {
  const items: [string, Record<string, AttributeValue>][] = [
    [`${experimentKey(o.experimentId)}\u0000${observationSortKey(o)}`, observationItem(o)],
  ];
  if (o.canaryId) items.push([`${canaryKey(o.canaryId)}\u0000${observationSortKey(o)}`, observationItem(o, canaryKey(o.canaryId))]);
  return items;
}

/** The item of one feedback event. */
export function feedbackItem(f: FeedbackRecord): Record<string, AttributeValue> {
  return {
    pk: { S: feedbackKey(f.scope, f.key) },
    sk: { S: feedbackSortKey(f) },
    kind: { S: 'feedback' },
    metric: { S: f.metric },
    value: { N: String(f.value) },
    record: { S: JSON.stringify(f) },
  };
}
