import { request } from 'node:http';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Observation } from '../../schema/observation.ts';
import { readObservations } from '../../stores/observations/sqlite.ts';

/** How one request ended. `routed`: the gateway chose a configuration (a request refused while draining never does). */
export interface Outcome {
  requestId: string | null;
  status: number | null;
  completed: boolean;
  routed: boolean;
  /** The `connection` response header (HTTP/1.1). */
  connection: string | null;
  /** The socket error code when no answer came (e.g. ECONNRESET). */
  error: string | null;
}

const body = (i: number): string => JSON.stringify({ messages: [{ role: 'user', content: [{ text: `long answer please ${i}` }] }] });
const headers = (i: number) => ({
  'content-type': 'application/json',
  'x-session-id': `load-${i}`,
  'x-intent': i % 4 === 0 ? 'chitchat' : 'recommendation',
});
const operation = (i: number): string => (i % 2 ? 'converse-stream' : 'converse');

/** One Bedrock call over fetch; odd `i` streams. `onHeaders` is told when the answer's headers arrive. */
export async function send(url: string, i: number, onHeaders?: () => void): Promise<Outcome> {
  try {
    const res = await fetch(`${url}/model/mangaassist/${operation(i)}`, { method: 'POST', headers: headers(i), body: body(i) });
    onHeaders?.();
    const base = { requestId: res.headers.get('x-gateway-request-id'), status: res.status, routed: res.headers.has('x-gateway-config') };
    const connection = res.headers.get('connection');
    try {
      await res.arrayBuffer();
      return { ...base, completed: true, connection, error: null };
    } catch {
      return { ...base, completed: false, connection, error: null };
    }
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    return { requestId: null, status: null, completed: false, routed: false, connection: null, error: cause?.code ?? String(err) };
  }
}

/** Several calls at once; `headersSeen(n)` resolves once `n` answers have their headers (streams are then in flight). */
export function sendMany(url: string, count: number): { outcomes: Promise<Outcome[]>; headersSeen: (n: number) => Promise<void> } {
  let seen = 0;
  const waiters: { n: number; resolve: () => void }[] = [];
  const onHeaders = (): void => {
    seen += 1;
    for (const w of waiters.filter((x) => x.n <= seen)) w.resolve();
  };
  const headersSeen = (n: number): Promise<void> =>
    seen >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }));
  return { outcomes: Promise.all(Array.from({ length: count }, (_, i) => send(url, i, onHeaders))), headersSeen };
}

/**
 * A Bedrock call on its own HTTP/1.1 connection. `written` resolves once the whole request is in the socket, which
 * succeeds even when the server process is stopped (the kernel completes the handshake and buffers the bytes).
 */
export function sendOnNewConnection(url: string, i: number): { written: Promise<void>; outcome: Promise<Outcome> } {
  let onWritten: () => void = () => {};
  const written = new Promise<void>((resolve) => (onWritten = resolve));
  const outcome = new Promise<Outcome>((resolve) => {
    const payload = body(i);
    const options = { method: 'POST', agent: false, headers: { ...headers(i), 'content-length': Buffer.byteLength(payload) } };
    const req = request(`${url}/model/mangaassist/converse`, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(outcomeOf(res.statusCode ?? null, res.headers, true)));
      res.on('error', () => resolve(outcomeOf(res.statusCode ?? null, res.headers, false)));
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      onWritten();
      resolve({ requestId: null, status: null, completed: false, routed: false, connection: null, error: err.code ?? err.message });
    });
    req.end(payload, onWritten);
  });
  return { written, outcome };
}

function outcomeOf(status: number | null, h: Record<string, string | string[] | undefined>, completed: boolean): Outcome {
  const one = (name: string): string | null => {
    const v = h[name];
    return typeof v === 'string' ? v : null;
  };
  const routed = h['x-gateway-config'] !== undefined;
  return { requestId: one('x-gateway-request-id'), status, completed, routed, connection: one('connection'), error: null };
}

/** The observations a stopped gateway left in `dataDir`, by request id. */
export function storedObservations(dataDir: string): Map<string, Observation> {
  const db = new Database(join(dataDir, 'gateway.db'), { readonly: true });
  try {
    return new Map(readObservations(db).map((r) => [r.requestId, r]));
  } finally {
    db.close();
  }
}

/** Counts of outcomes by status (or socket error), e.g. `{ "200": 120, "503": 80 }`. */
export function countByStatus(outcomes: Outcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of outcomes) {
    const key = o.status === null ? (o.error ?? 'no answer') : String(o.status);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}
