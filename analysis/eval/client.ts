import type { EvalPrompt } from './prompt.ts';

/** Where and how the runner reaches the gateway. */
export interface GatewayClientOptions {
  /** Gateway base URL, e.g. http://127.0.0.1:8080 */
  baseUrl: string;
  /** Data-plane key, sent as `Authorization: Bearer`. */
  apiKey?: string;
  /** Attempts per call when throttled or unavailable (default 5). */
  attempts?: number;
  /** First retry delay, doubled each attempt, with jitter (default 250 ms). */
  baseDelayMs?: number;
  /** Per-attempt timeout (default 60 s). */
  timeoutMs?: number;
}

/** One call's outcome; a failure is a value with its error code, never a score. */
export type CallOutcome =
  | { ok: true; text: string; inputTokens: number; outputTokens: number; requestId: string | null; latencyMs: number; attempts: number }
  | { ok: false; errorCode: string; requestId: string | null; latencyMs: number; attempts: number };

/** What the call is about, for routing metadata. */
export interface CallMeta {
  intent: string;
  sessionId: string;
  maxTokens?: number;
}

const RETRYABLE_TYPES = new Set(['ThrottlingException', 'ServiceUnavailableException', 'TooManyRequestsException']);

/**
 * Sends one Converse call pinned to a configuration (`config:<id>`) with traffic class `eval`, retrying
 * throttling (429, ThrottlingException) and unavailability (503) with exponential backoff.
 */
export async function converseCall(
  options: GatewayClientOptions,
  configId: string,
  prompt: EvalPrompt,
  meta: CallMeta,
): Promise<CallOutcome> {
  const attempts = options.attempts ?? 5;
  const base = options.baseDelayMs ?? 250;
  let last: CallOutcome | undefined;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    last = await attemptOnce(options, configId, prompt, meta, attempt);
    if (last.ok || !isRetryable(last.errorCode)) return last;
    if (attempt < attempts) await sleep(Math.min(8000, base * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2));
  }
  return last!;
}

function isRetryable(code: string): boolean {
  return RETRYABLE_TYPES.has(code) || code === 'http_429' || code === 'http_503';
}

async function attemptOnce(
  options: GatewayClientOptions,
  configId: string,
  prompt: EvalPrompt,
  meta: CallMeta,
  attempt: number,
): Promise<CallOutcome> {
  const url = `${options.baseUrl.replace(/\/$/, '')}/model/${encodeURIComponent(`config:${configId}`)}/converse`;
  const body = {
    system: [{ text: prompt.system }],
    messages: [{ role: 'user', content: [{ text: prompt.user }] }],
    ...(meta.maxTokens ? { inferenceConfig: { maxTokens: meta.maxTokens } } : {}),
    requestMetadata: { intent: meta.intent, session_id: meta.sessionId },
  };
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-gateway-traffic': 'eval' };
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
  const started = performance.now();
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
    });
    const text = await response.text();
    const latencyMs = performance.now() - started;
    const requestId = response.headers.get('x-gateway-request-id');
    if (!response.ok) return { ok: false, errorCode: errorCodeOf(response), requestId, latencyMs, attempts: attempt };
    const parsed = parseConverse(text);
    if (!parsed) return { ok: false, errorCode: 'malformed_response', requestId, latencyMs, attempts: attempt };
    return { ok: true, ...parsed, requestId, latencyMs, attempts: attempt };
  } catch (error) {
    const name = (error as Error).name;
    return {
      ok: false,
      errorCode: name === 'TimeoutError' ? 'client_timeout' : 'network_error',
      requestId: null,
      latencyMs: performance.now() - started,
      attempts: attempt,
    };
  }
}

function errorCodeOf(response: Response): string {
  const type = response.headers.get('x-amzn-errortype');
  return type ? type.split(':')[0]! : `http_${response.status}`;
}

function parseConverse(text: string): { text: string; inputTokens: number; outputTokens: number } | null {
  try {
    const json = JSON.parse(text) as {
      output?: { message?: { content?: { text?: string }[] } };
      usage?: { inputTokens?: number; outputTokens?: number };
    };
    const content = json.output?.message?.content;
    if (!Array.isArray(content) || !json.usage) return null;
    return {
      text: content.map((b) => (typeof b.text === 'string' ? b.text : '')).join(''),
      inputTokens: json.usage.inputTokens ?? 0,
      outputTokens: json.usage.outputTokens ?? 0,
    };
  } catch {
    return null;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
