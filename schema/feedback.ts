import { timeOrderedUuid } from '../lib/uuid.ts';
import { z } from 'zod';

/** Metrics a chatbot reports about one request. */
export const REQUEST_METRICS = ['quality_score', 'passed_quality_gate'] as const;
/** Metrics a chatbot reports about a whole session. */
export const SESSION_METRICS = ['cart_add', 'escalated', 'session_duration_s'] as const;

const Key = z.string().min(1).max(200);
const common = { idempotency_key: z.string().min(1).max(200).optional(), timestamp: z.number().int().positive().optional() };

const RequestEvent = z.discriminatedUnion('metric', [
  z.strictObject({ metric: z.literal('quality_score'), request_id: Key, value: z.number().min(0).max(1), ...common }),
  z.strictObject({ metric: z.literal('passed_quality_gate'), request_id: Key, value: z.boolean(), ...common }),
  z.strictObject({ metric: z.literal('cart_add'), session_id: Key, value: z.boolean(), ...common }),
  z.strictObject({ metric: z.literal('escalated'), session_id: Key, value: z.boolean(), ...common }),
  z.strictObject({
    metric: z.literal('session_duration_s'),
    session_id: Key,
    value: z
      .number()
      .nonnegative()
      .max(86_400 * 7),
    ...common,
  }),
]);

/** One feedback event as posted: a metric about a request (by request id) or a session (by session id). */
export const FeedbackEvent = RequestEvent;
export type FeedbackEvent = z.infer<typeof FeedbackEvent>;

/** A batch: `{events: [...]}` with 1 to 1,000 events. */
export const FeedbackBatch = z.strictObject({ events: z.array(FeedbackEvent).min(1).max(1_000) });

/**
 * Parses a `POST /v1/feedback` body, one event or a batch, into events. A body with an `events` field is
 * a batch. On failure, the error lists each bad field by path.
 */
export function parseFeedbackBody(body: unknown): { ok: true; events: FeedbackEvent[] } | { ok: false; error: z.ZodError } {
  if (body && typeof body === 'object' && 'events' in body) {
    const parsed = FeedbackBatch.safeParse(body);
    return parsed.success ? { ok: true, events: parsed.data.events } : { ok: false, error: parsed.error };
  }
  const parsed = FeedbackEvent.safeParse(body);
  return parsed.success ? { ok: true, events: [parsed.data] } : { ok: false, error: parsed.error };
}

/** A feedback event as stored: appended, never updated; the last one per (key, metric) wins at analysis. */
export interface FeedbackRecord {
  /** Unique per accepted event, so a replayed spill file never stores one twice. */
  eventId: string;
  receivedAt: number;
  /** `request` or `session`. */
  scope: 'request' | 'session';
  /** Request id or session id. */
  key: string;
  metric: FeedbackEvent['metric'];
  /** Booleans are stored as 0 / 1. */
  value: number;
  idempotencyKey: string | null;
  /** When the chatbot says it happened (epoch ms); defaults to receipt time. */
  eventTime: number;
}

/** Turns a validated event into its stored form. */
export function toFeedbackRecord(event: FeedbackEvent, receivedAt: number): FeedbackRecord {
  const scope = 'request_id' in event ? 'request' : 'session';
  return {
    eventId: timeOrderedUuid(receivedAt),
    receivedAt,
    scope,
    key: 'request_id' in event ? event.request_id : event.session_id,
    metric: event.metric,
    value: typeof event.value === 'boolean' ? Number(event.value) : event.value,
    idempotencyKey: event.idempotency_key ?? null,
    eventTime: event.timestamp ?? receivedAt,
  };
}
