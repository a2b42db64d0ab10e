import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack } from './support/gateway.ts';
import { serviceMissing } from './support/services.ts';

const promtoolMissing = serviceMissing(
  'the promtool check of /metrics',
  spawnSync('promtool', ['--version']).error ? 'no promtool on PATH' : null,
  'install Prometheus (`apt-get install prometheus`) to check /metrics with promtool; the text format is still checked by hand',
  { optional: true },
);

let stack: Awaited<ReturnType<typeof startStack>>;
let db: Database.Database;
beforeAll(async () => {
  stack = await startStack({ durable: true, timeScale: 0.05 });
  db = new Database(join(stack.dataDir!, 'gateway.db'), { readonly: true });
});
afterAll(async () => {
  db?.close();
  await stack?.close();
});

const postFeedback = (body: unknown) =>
  fetch(`${stack.url}/v1/feedback`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

async function until<T>(read: () => T, ok: (v: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const v = read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
const count = (sql: string, ...args: unknown[]) => (db.prepare(sql).get(...args) as { n: number }).n;

describe('POST /v1/feedback', () => {
  it('accepts feedback before its observation exists; the two join once both are stored', async () => {
    // A simulator in real time: the answer streams for seconds after its headers, so the feedback below arrives
    // while the request is still open and its observation cannot have been written.
    const slow = await startStack({ durable: true, timeScale: 1 });
    const slowDb = new Database(join(slow.dataDir!, 'gateway.db'), { readonly: true });
    try {
      await feedbackFirst(slow.url, slowDb);
    } finally {
      slowDb.close();
      await slow.close();
    }
  });

  async function feedbackFirst(url: string, db: Database.Database): Promise<void> {
    const count = (sql: string, ...args: unknown[]) => (db.prepare(sql).get(...args) as { n: number }).n;
    const postFeedback = (body: unknown) =>
      fetch(`${url}/v1/feedback`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const res = await fetch(`${url}/model/mangaassist/converse-stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-session-id': 'fb-1', 'x-intent': 'recommendation' },
      body: JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'recommend a shonen series' }] }] }),
    });
    const requestId = res.headers.get('x-gateway-request-id')!;
    const fb = await postFeedback({ metric: 'quality_score', request_id: requestId, value: 0.83 });
    expect(fb.status).toBe(202);
    expect(await fb.json()).toEqual({ accepted: 1 });
    expect(count('SELECT count(*) AS n FROM observations WHERE request_id = ?', requestId)).toBe(0);
    await res.arrayBuffer();
    const joined = await until(
      () =>
        db
          .prepare(
            "SELECT o.config_id, f.value FROM observations o JOIN feedback_latest f ON f.scope = 'request' AND f.key = o.request_id WHERE o.request_id = ?",
          )
          .get(requestId) as { config_id: string; value: number } | undefined,
      (v) => v !== undefined,
      'observation joined with feedback',
    );
    expect(joined).toMatchObject({ value: 0.83 });
  }

  it('stores a duplicated event with the same idempotency key once, and answers 202 both times', async () => {
    const event = { metric: 'cart_add', session_id: 'fb-dup', value: true, idempotency_key: 'cart-fb-dup-1' };
    expect((await postFeedback(event)).status).toBe(202);
    expect((await postFeedback({ events: [event, event] })).status).toBe(202);
    await until(
      () => count("SELECT count(*) AS n FROM feedback WHERE key = 'fb-dup'"),
      (n) => n >= 1,
      'feedback row',
    );
    await stack.gateway.sink.flush();
    expect(count("SELECT count(*) AS n FROM feedback WHERE key = 'fb-dup'")).toBe(1);
  });

  it('accepts feedback for an unknown request id (it joins nothing) and lets the last value per key and metric win', async () => {
    const res = await postFeedback({
      events: [
        { metric: 'quality_score', request_id: 'no-such-request', value: 0.2, timestamp: 1_000 },
        { metric: 'quality_score', request_id: 'no-such-request', value: 0.9, timestamp: 2_000 },
        { metric: 'session_duration_s', session_id: 'fb-2', value: 95.5 },
        { metric: 'escalated', session_id: 'fb-2', value: false },
      ],
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 4 });
    await until(
      () => count("SELECT count(*) AS n FROM feedback WHERE key IN ('no-such-request', 'fb-2')"),
      (n) => n === 4,
      'four rows',
    );
    expect(db.prepare("SELECT value FROM feedback_latest WHERE key = 'no-such-request'").all()).toEqual([{ value: 0.9 }]);
    expect(count("SELECT count(*) AS n FROM observations WHERE request_id = 'no-such-request'")).toBe(0);
  });

  const bad: [string, unknown, RegExp][] = [
    ['not JSON', '{"metric":', /not valid JSON/],
    ['unknown metric', { metric: 'happiness', request_id: 'r', value: 1 }, /metric/],
    ['quality out of range', { metric: 'quality_score', request_id: 'r', value: 1.5 }, /value/],
    ['session metric keyed by request', { metric: 'cart_add', request_id: 'r', value: true }, /session_id/],
    [
      'one bad event in a batch',
      {
        events: [
          { metric: 'cart_add', session_id: 'ok', value: true },
          { metric: 'cart_add', session_id: 'ok', value: 'yes' },
        ],
      },
      /events\.1\.value/,
    ],
    ['empty batch', { events: [] }, /events/],
  ];
  for (const [name, body, message] of bad) {
    it(`rejects ${name} with 400 naming the problem and stores nothing`, async () => {
      const before = count('SELECT count(*) AS n FROM feedback');
      const res = await postFeedback(body);
      expect(res.status).toBe(400);
      const json = (await res.json()) as { error: { code: string; message: string }; requestId: string };
      expect(json.error.message).toMatch(message);
      expect(json.requestId).toBe(res.headers.get('x-gateway-request-id'));
      await stack.gateway.sink.flush();
      expect(count('SELECT count(*) AS n FROM feedback')).toBe(before);
    });
  }
});

describe('/metrics', () => {
  it('is valid Prometheus text whose counters equal the stored observations', async () => {
    const sessions = Array.from({ length: 12 }, (_, i) => `m-${i}`);
    await Promise.all(
      sessions.map(async (s, i) => {
        const r = await fetch(`${stack.url}/model/mangaassist/${i % 2 ? 'converse' : 'converse-stream'}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-session-id': s, 'x-intent': i % 3 ? 'faq' : 'chitchat' },
          body: JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'hello' }] }] }),
        });
        await r.arrayBuffer();
      }),
    );
    await new Promise((r) => setTimeout(r, 50));
    await stack.gateway.sink.flush();
    const res = await fetch(`${stack.url}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();

    const samples = parseExposition(text);
    const sum = (name: string) => samples.filter((s) => s.name === name).reduce((a, s) => a + s.value, 0);
    const rows = db
      .prepare('SELECT count(*) AS n, sum(input_tokens) AS i, sum(output_tokens) AS o, sum(cost_usd) AS c FROM observations')
      .get() as { n: number; i: number; o: number; c: number };
    expect(rows.n).toBeGreaterThanOrEqual(12);
    expect(sum('gateway_requests_total')).toBe(rows.n);
    const tokens = (type: string) =>
      samples.filter((s) => s.name === 'gateway_tokens_total' && s.labels.gen_ai_token_type === type).reduce((a, s) => a + s.value, 0);
    expect(tokens('input')).toBe(rows.i);
    expect(tokens('output')).toBe(rows.o);
    expect(new Set(samples.filter((s) => s.name === 'gateway_tokens_total').map((s) => s.labels.gen_ai_token_type))).toEqual(
      new Set(['input', 'output']),
    );
    expect(sum('gateway_cost_usd_total')).toBeCloseTo(rows.c, 9);
    expect(sum('gateway_request_duration_seconds_count')).toBe(rows.n);
    const feedbackRows = count('SELECT count(*) AS n FROM feedback');
    expect(sum('gateway_feedback_events_total')).toBeGreaterThanOrEqual(feedbackRows);
    for (const s of samples) {
      expect(Object.keys(s.labels).every((l) => /^[a-z_]+$/.test(l))).toBe(true);
      expect(s.labels.session_id ?? s.labels.request_id).toBeUndefined();
    }
  });

  it.skipIf(promtoolMissing !== null)('passes `promtool check metrics`', async () => {
    const text = await (await fetch(`${stack.url}/metrics`)).text();
    expect(text).toContain('gateway_requests_total');
    const promtool = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(promtool.status, promtool.stdout + promtool.stderr).toBe(0);
  });

  it('/healthz and /readyz answer', async () => {
    expect((await fetch(`${stack.url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${stack.url}/readyz`)).json()).toEqual({ status: 'ready' });
  });
});

/** A strict reader of the Prometheus text format: every non-comment line must be a well-formed sample. */
function parseExposition(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  const out: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[4]) });
  }
  return out;
}
