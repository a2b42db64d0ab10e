import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RedisClient, RedisReplyError, type RedisReply } from './redis-client.ts';

/**
 * An Upstash-REST-compatible front for a real redis-server, for tests: `POST /` (one command as a JSON
 * array), `POST /pipeline` and `POST /multi-exec` (arrays of commands), bearer-token auth, and the base64
 * response encoding that `@upstash/redis` asks for with `Upstash-Encoding: base64`.
 */
export interface UpstashShim {
  url: string;
  token: string;
  close(): Promise<void>;
}

type Command = (string | number)[];
type Answer = { result: unknown } | { error: string };

function toJson(reply: RedisReply, base64: boolean): unknown {
  if (reply === null || typeof reply === 'number') return reply;
  if (typeof reply === 'string') return base64 ? Buffer.from(reply).toString('base64') : reply;
  if (Array.isArray(reply)) return reply.map((r) => toJson(r, base64));
  if (reply instanceof RedisReplyError) return reply.message;
  return reply.simple;
}

function answer(reply: RedisReply, base64: boolean): Answer {
  return reply instanceof RedisReplyError ? { error: reply.message } : { result: toJson(reply, base64) };
}

function isCommand(x: unknown): x is Command {
  return Array.isArray(x) && x.length > 0 && x.every((a) => typeof a === 'string' || typeof a === 'number');
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

async function handle(redis: RedisClient, path: string, body: unknown, base64: boolean): Promise<{ status: number; body: unknown }> {
  if (path === '/' || path === '') {
    if (!isCommand(body)) return { status: 400, body: { error: 'body must be a command array' } };
    const reply = await redis.send(...body);
    const a = answer(reply, base64);
    return { status: 'error' in a ? 400 : 200, body: a };
  }
  if (path !== '/pipeline' && path !== '/multi-exec') return { status: 404, body: { error: `no endpoint ${path}` } };
  if (!Array.isArray(body) || !body.every(isCommand)) return { status: 400, body: { error: 'body must be an array of commands' } };
  const commands = body as Command[];
  if (path === '/pipeline') {
    const replies = await Promise.all(redis.sendMany(commands));
    return { status: 200, body: replies.map((r) => answer(r, base64)) };
  }
  const replies = await Promise.all(redis.sendMany([['MULTI'], ...commands, ['EXEC']]));
  const exec = replies[replies.length - 1]!;
  const queued = replies.slice(1, -1).find((r) => r instanceof RedisReplyError);
  if (queued instanceof RedisReplyError) return { status: 400, body: { error: queued.message } };
  if (!Array.isArray(exec)) return { status: 400, body: { error: exec instanceof RedisReplyError ? exec.message : 'transaction aborted' } };
  return { status: 200, body: exec.map((r) => answer(r, base64)) };
}

/** Starts the shim on a loopback port in front of the redis-server at `redisPort`. */
export async function startUpstashShim(redisPort: number, token = 'test-upstash-token'): Promise<UpstashShim> {
  const redis = new RedisClient(redisPort);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const reply = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${token}`) return reply(401, { error: 'Unauthorized' });
    const base64 = String(req.headers['upstash-encoding'] ?? '').toLowerCase() === 'base64';
    const path = new URL(req.url ?? '/', 'http://shim').pathname;
    readJson(req)
      .then((body) => handle(redis, path, body, base64))
      .then((r) => reply(r.status, r.body))
      .catch((err: unknown) => reply(500, { error: `redis unreachable: ${(err as Error).message}` }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        redis.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
