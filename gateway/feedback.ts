import type { Context } from 'hono';
import { formatIssues } from '../schema/config.ts';
import { parseFeedbackBody, toFeedbackRecord } from '../schema/feedback.ts';
import type { GatewayDeps, GatewayEnv } from './deps.ts';
import { GatewayError } from './errors.ts';
import { parseJsonBody } from './json.ts';

/**
 * `POST /v1/feedback`: one event or `{events: [...]}`. The whole body is checked first, so a bad event
 * rejects the batch and nothing is kept. Accepted events are queued for the store and answered 202,
 * whether or not the request they name has its observation yet: the two are joined at analysis time.
 */
export function feedbackHandler(deps: GatewayDeps) {
  return async (c: Context<GatewayEnv>): Promise<Response> => {
    const parsed = parseFeedbackBody(parseJsonBody(await c.req.text()));
    if (!parsed.ok) throw new GatewayError('invalid_request', `invalid feedback: ${formatIssues(parsed.error).replaceAll('\n', '; ')}`);
    const receivedAt = Date.now();
    const records = parsed.events.map((e) => toFeedbackRecord(e, receivedAt));
    deps.sink.recordFeedback(records);
    deps.telemetry.feedback(records);
    return c.json({ accepted: records.length }, 202);
  };
}
