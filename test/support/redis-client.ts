import { connect, type Socket } from 'node:net';

/** An error reply from Redis (`-ERR ...`). */
export class RedisReplyError extends Error {
  override name = 'RedisReplyError';
}

/** A decoded RESP2 reply. Simple strings are marked so that callers can tell `+OK` from a bulk string. */
export type RedisReply = string | number | null | RedisReply[] | RedisReplyError | { simple: string };

type Parsed = [RedisReply, number] | undefined;

function parseReply(buf: Buffer, at: number): Parsed {
  const end = buf.indexOf('\r\n', at);
  if (end < 0) return undefined;
  const line = buf.toString('utf8', at + 1, end);
  const next = end + 2;
  switch (String.fromCharCode(buf[at]!)) {
    case '+':
      return [{ simple: line }, next];
    case '-':
      return [new RedisReplyError(line), next];
    case ':':
      return [Number(line), next];
    case '$': {
      const len = Number(line);
      if (len < 0) return [null, next];
      if (buf.length < next + len + 2) return undefined;
      return [buf.toString('utf8', next, next + len), next + len + 2];
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return [null, next];
      const items: RedisReply[] = [];
      let pos = next;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buf, pos);
        if (!item) return undefined;
        items.push(item[0]);
        pos = item[1];
      }
      return [items, pos];
    }
    default:
      throw new Error(`unexpected RESP byte ${buf[at]}`);
  }
}

function encodeCommand(args: (string | number)[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`).join('')}`;
}

/** A minimal RESP2 client for tests: commands are queued on one connection, which reopens after a failure. */
export class RedisClient {
  private socket: Socket | null = null;
  private buffer = Buffer.alloc(0);
  private pending: { resolve: (r: RedisReply) => void; reject: (e: Error) => void }[] = [];

  constructor(
    readonly port: number,
    readonly host = '127.0.0.1',
  ) {}

  private open(): Socket {
    if (this.socket) return this.socket;
    const socket = connect(this.port, this.host);
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.onData(chunk));
    const fail = (err: Error): void => {
      if (this.socket === socket) this.socket = null;
      this.buffer = Buffer.alloc(0);
      for (const p of this.pending.splice(0)) p.reject(err);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('redis connection closed')));
    this.socket = socket;
    return socket;
  }

  private onData(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const parsed = parseReply(this.buffer, 0);
      if (!parsed) return;
      this.buffer = this.buffer.subarray(parsed[1]);
      this.pending.shift()?.resolve(parsed[0]);
    }
  }

  /** Sends commands back to back (nothing else is interleaved), resolving each reply in order. */
  sendMany(commands: (string | number)[][]): Promise<RedisReply>[] {
    const socket = this.open();
    const replies = commands.map(() => new Promise<RedisReply>((resolve, reject) => this.pending.push({ resolve, reject })));
    socket.write(commands.map(encodeCommand).join(''));
    return replies;
  }

  /** Sends one command. */
  send(...args: (string | number)[]): Promise<RedisReply> {
    return this.sendMany([args])[0]!;
  }

  close(): void {
    this.socket?.destroy();
    this.socket = null;
  }
}

/** Deletes the keys a config store wrote under each prefix (tests clean up the shared Redis after themselves). */
export async function deleteStoreKeys(port: number, prefixes: string[]): Promise<void> {
  if (prefixes.length === 0) return;
  const client = new RedisClient(port);
  try {
    await client.send('DEL', ...prefixes.flatMap((p) => [`${p}version`, `${p}document`, `${p}audit`]));
  } finally {
    client.close();
  }
}

/** Whether a Redis answers PING at the port. */
export async function redisAnswers(port: number, host = '127.0.0.1'): Promise<boolean> {
  const client = new RedisClient(port, host);
  try {
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 1_000));
    const reply = await Promise.race([client.send('PING'), timeout]);
    return typeof reply === 'object' && reply !== null && 'simple' in reply && reply.simple === 'PONG';
  } catch {
    return false;
  } finally {
    client.close();
  }
}
