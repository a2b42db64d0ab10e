import type { Decision } from './schema.ts';

/** What the webhook receives for a decision. */
export interface WebhookPayload {
  canary: string;
  action: Decision['action'];
  stage: string;
  weight: number;
  reason: string;
  figures: Decision['figures'];
  at: number;
  /**
   * Whether the decision's configuration change is committed (true also when it needs none). False: the
   * change failed, gateways do not apply it yet, and the controller retries it on its next tick.
   */
  effectApplied: boolean;
}

/** Options of the webhook sender. */
export interface NotifyOptions {
  attempts?: number;
  /** Delay before the second attempt; doubled for each further one. */
  backoffMs?: number;
  timeoutMs?: number;
  fetch?: typeof fetch;
  log?: (line: string) => void;
}

/**
 * POSTs the payload as JSON, retrying failures a few times; resolves true once a 2xx answer came back.
 * Never throws: a webhook that is down must not block or undo a rollback.
 */
export async function postWebhook(url: string, payload: WebhookPayload, options: NotifyOptions = {}): Promise<boolean> {
  const attempts = options.attempts ?? 3;
  const send = options.fetch ?? fetch;
  let delay = options.backoffMs ?? 250;
  const where = receiverOf(url);
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const res = await send(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return true;
      options.log?.(`canary webhook ${where} answered ${res.status} (attempt ${attempt} of ${attempts})`);
    } catch (err) {
      options.log?.(`canary webhook ${where} failed: ${(err as Error).message.replaceAll(url, where)} (attempt ${attempt} of ${attempts})`);
    }
    if (attempt < attempts) await new Promise((r) => setTimeout(r, delay));
    delay *= 2;
  }
  return false;
}

/**
 * How a webhook is named in the log: its origin only. The path and query of a webhook URL often are its secret
 * (Slack and Teams webhooks, `?token=`), and logs are shipped and kept.
 */
function receiverOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(unparseable URL)';
  }
}
