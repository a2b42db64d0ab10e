import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack } from './support/gateway.ts';
import { exchange, parseRawAnswer, type RawAnswer } from './support/raw-socket.ts';

const KEY = 'k-server-errors';
const HEADERS_TIMEOUT_MS = 300;
let stack: Awaited<ReturnType<typeof startStack>>;

beforeAll(async () => {
  stack = await startStack({ apiKeys: [KEY], maxBodyBytes: 4_096, connectionLimits: { headersTimeoutMs: HEADERS_TIMEOUT_MS } });
});
afterAll(() => stack?.close());

/** Sends raw bytes and returns the one answer the server wrote, failing when it wrote none. */
async function answerTo(bytes: string): Promise<RawAnswer & { closedByServer: boolean }> {
  const { text, closedByServer } = await exchange(stack.url, bytes);
  const answer = parseRawAnswer(text);
  if (!answer) throw new Error(`no answer to ${JSON.stringify(bytes.slice(0, 80))}: ${JSON.stringify(text)}`);
  return { ...answer, closedByServer };
}

const converse = '/model/mangaassist/converse';
const chat = '/v1/chat/completions';
const badFraming = (path: string) => `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n`;
const hugeHeaders = (path: string) => `POST ${path} HTTP/1.1\r\nHost: x\r\nX-Filler: ${'a'.repeat(70_000)}\r\n\r\n`;

/** AWS's error shape: status, `x-amzn-ErrorType`, JSON `{message}`. */
function expectAwsShape(answer: RawAnswer, status: number, type: string, message: RegExp): void {
  expect(answer.status).toBe(status);
  expect(answer.headers['x-amzn-errortype']).toBe(type);
  expect(answer.headers['content-type']).toBe('application/json');
  const requestId = answer.headers['x-gateway-request-id'];
  expect(JSON.parse(answer.body)).toMatchObject({ message: expect.stringMatching(message), requestId });
}

/** The gateway's (OpenAI's) error shape: `{error: {message, type, code}}`. */
function expectJsonShape(answer: RawAnswer, status: number, code: string, message: RegExp): void {
  expect(answer.status).toBe(status);
  expect(answer.headers['x-amzn-errortype']).toBeUndefined();
  const requestId = answer.headers['x-gateway-request-id'];
  expect(JSON.parse(answer.body)).toMatchObject({ error: { code, message: expect.stringMatching(message) }, requestId });
}

describe("requests Node's HTTP parser refuses get JSON in their route family's shape and connection: close", () => {
  it('bad framing (Content-Length with Transfer-Encoding) on a Bedrock route: 400 ValidationException', async () => {
    const answer = await answerTo(badFraming(converse));
    expectAwsShape(answer, 400, 'ValidationException', /^malformed HTTP request: /);
    expect(answer.headers.connection).toBe('close');
    expect(answer.closedByServer).toBe(true);
  });

  it('bad framing on the OpenAI route: 400 invalid_request_error', async () => {
    const answer = await answerTo(badFraming(chat));
    expectJsonShape(answer, 400, 'malformed_http', /^malformed HTTP request: /);
    expect(JSON.parse(answer.body).error.type).toBe('invalid_request_error');
    expect(answer.headers.connection).toBe('close');
  });

  it("headers over 64 KB: 431 naming the limit, in each family's shape", async () => {
    expectAwsShape(await answerTo(hugeHeaders(converse)), 431, 'ValidationException', /request headers exceed the \d+-byte limit/);
    const openai = await answerTo(hugeHeaders(chat));
    expectJsonShape(openai, 431, 'headers_too_large', /request headers exceed the \d+-byte limit/);
    expect(openai.headers.connection).toBe('close');
  });

  it("bytes that are no HTTP at all: 400 in the gateway's shape", async () => {
    expectJsonShape(await answerTo('HELLO\r\n\r\n'), 400, 'malformed_http', /^malformed HTTP request: /);
  });

  it('HTTP/1.1 without Host: 400 naming the missing header (RFC 9112), connection: close', async () => {
    const answer = await answerTo(`GET /v1/models HTTP/1.1\r\nAuthorization: Bearer ${KEY}\r\n\r\n`);
    expectJsonShape(answer, 400, 'malformed_http', /without a Host header/);
    expect(answer.headers.connection).toBe('close');
    const bedrock = await answerTo(`POST ${converse} HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}`);
    expectAwsShape(bedrock, 400, 'ValidationException', /without a Host header/);
  });

  it('HTTP/1.0 without Host is served under the fallback host', async () => {
    const answer = await answerTo('GET /healthz HTTP/1.0\r\n\r\n');
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ status: 'ok' });
  });

  it('a Host Hono cannot make a URL of: 400 in JSON', async () => {
    const answer = await answerTo('GET /healthz HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n');
    expectJsonShape(answer, 400, 'malformed_http', /^malformed HTTP request: /);
  });

  it(`headers that stop coming: 408 after the ${HEADERS_TIMEOUT_MS} ms headers deadline, in the route's shape`, async () => {
    const started = performance.now();
    const answer = await answerTo(`POST ${chat} HTTP/1.1\r\nHost: x\r\nContent-Type: app`);
    console.log(`stalled headers answered 408 after ${(performance.now() - started).toFixed(0)} ms (deadline ${HEADERS_TIMEOUT_MS} ms)`);
    expectJsonShape(answer, 408, 'request_timeout', /did not arrive in time/);
    expect(JSON.parse(answer.body).error.type).toBe('timeout');
    expect(answer.headers.connection).toBe('close');
    expectAwsShape(await answerTo(`POST ${converse} HTTP/1.1\r\nHost: x\r\n`), 408, 'RequestTimeoutException', /did not arrive in time/);
  });
});

describe('a body over the limit, answered before it has all arrived', () => {
  it("gets 413 in the route family's shape with connection: close, and the connection is closed", async () => {
    const head = `POST ${chat} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEY}\r\nContent-Length: 1000000\r\n\r\n`;
    const answer = await answerTo(`${head}{"model":"mangaassist","messages":[`);
    expectJsonShape(answer, 413, 'payload_too_large', /4096-byte limit/);
    expect(answer.headers.connection).toBe('close');
    expect(answer.closedByServer).toBe(true);
  });

  it('an answer after the whole body arrived keeps the connection', async () => {
    const answer = await answerTo(`GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    expect(answer.status).toBe(200);
    expect(answer.headers.connection).toBe('keep-alive');
  });
});

describe('malformed input on every route: 0 answers 5xx, every answer JSON', () => {
  const operations = ['converse', 'converse-stream', 'invoke', 'invoke-with-response-stream', 'chat-completions'];
  const bedrock = operations.map((op) => `/model/mangaassist/${op}`);
  const routes = [...bedrock, chat, '/v1/feedback'];
  const auth = `Authorization: Bearer ${KEY}\r\n`;
  const withBody = (path: string, body: string) => {
    const head = `Host: x\r\n${auth}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close`;
    return `POST ${path} HTTP/1.1\r\n${head}\r\n\r\n${body}`;
  };
  const deep = (n: number) => `{"model":"mangaassist","messages":[{"role":"user","content":${'['.repeat(n)}${']'.repeat(n)}}]}`;
  const variants: Record<string, (path: string) => string> = {
    'bad framing': badFraming,
    'headers over 64 KB': hugeHeaders,
    'no Host (HTTP/1.1)': (path) => `POST ${path} HTTP/1.1\r\n${auth}Content-Length: 2\r\n\r\n{}`,
    'invalid chunk size': (path) => `POST ${path} HTTP/1.1\r\nHost: x\r\n${auth}Transfer-Encoding: chunked\r\n\r\nzz\r\n`,
    'not JSON': (path) => withBody(path, '{"messages": ['),
    'JSON array': (path) => withBody(path, '[]'),
    'JSON null': (path) => withBody(path, 'null'),
    '10,000-deep nesting': (path) => withBody(path, deep(10_000)),
    '65-deep nesting': (path) => withBody(path, deep(62)),
    'body over the limit': (path) => withBody(path, `{"x":"${'y'.repeat(5_000)}"}`),
  };
  it(`${routes.length} routes x ${Object.keys(variants).length} variants`, async () => {
    const statuses = new Map<number, number>();
    const notJson: string[] = [];
    for (const path of routes) {
      for (const [name, build] of Object.entries(variants)) {
        const answer = await answerTo(build(path));
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        try {
          JSON.parse(answer.body);
        } catch {
          notJson.push(`${name} on ${path}: ${answer.status} ${JSON.stringify(answer.body.slice(0, 60))}`);
        }
        if (answer.status >= 500) notJson.push(`${name} on ${path}: ${answer.status}`);
      }
    }
    console.log(`malformed requests: ${[...statuses].map(([s, n]) => `${n} x ${s}`).join(', ')}`);
    expect(notJson).toEqual([]);
    expect([...statuses.keys()].every((s) => s >= 400 && s < 500)).toBe(true);
    expect(stack.sink.observations).toEqual([]);
  });
});
