import { describe, expect, it } from 'vitest';
import { listenDual } from '../../lib/node/listen.ts';
import { openSocket } from '../../test/support/raw-socket.ts';
import { PullBody, pullBody, type PullSource } from './pull-body.ts';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (chunk: Uint8Array | undefined): string => (chunk ? new TextDecoder().decode(chunk) : '');
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** One step of a scripted source's pull: chunks to enqueue, then whether to close; `wait` holds the pull on a tick. */
interface Step {
  enqueue?: string[];
  close?: boolean;
  wait?: boolean;
  fail?: string;
}

/** A source that follows `steps`, one per pull, and writes what happens to it into `log`. */
function scripted(steps: Step[], log: string[]): PullSource {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let n = 0;
  return {
    start(c) {
      controller = c;
      log.push('start');
    },
    async pull() {
      const step = steps[n++] ?? {};
      log.push(`pull ${n}`);
      if (step.wait) await tick();
      if (step.fail) throw new Error(step.fail);
      for (const chunk of step.enqueue ?? []) controller.enqueue(bytes(chunk));
      if (step.close) controller.close();
    },
    cancel(reason) {
      log.push(`cancel ${String(reason)}`);
    },
  };
}

/** Reads `body` to its end, or `cancelAfter` chunks and then cancels; logs every read. */
async function readAll(reader: ReadableStreamDefaultReader<Uint8Array>, log: string[], cancelAfter = Infinity): Promise<void> {
  for (let read = 0; ; read++) {
    if (read === cancelAfter) {
      await reader.cancel('gone');
      log.push('cancelled');
      return;
    }
    const { done, value } = await reader.read();
    log.push(done ? 'done' : `read ${text(value)}`);
    if (done) return;
  }
}

const SCRIPTS: Record<string, { steps: Step[]; cancelAfter?: number }> = {
  'one chunk, then the end': { steps: [{ enqueue: ['a'] }, { close: true }] },
  'chunk and end in one pull': { steps: [{ enqueue: ['a'], close: true }] },
  'pulls that wait': {
    steps: [
      { wait: true, enqueue: ['a'] },
      { wait: true, enqueue: ['b', 'c'] },
      { wait: true, close: true },
    ],
  },
  // Neither pulls a second time: the reader cancels first.
  'cancelled after one chunk': { steps: [{ enqueue: ['a'] }, { enqueue: ['b'] }], cancelAfter: 1 },
  'cancelled before reading': { steps: [{ wait: true, enqueue: ['a'] }], cancelAfter: 0 },
  'closed with nothing': { steps: [{ close: true }] },
};

describe('PullBody', () => {
  for (const [name, { steps, cancelAfter }] of Object.entries(SCRIPTS)) {
    it(`calls its source and answers reads as a web stream does: ${name}`, async () => {
      const webLog: string[] = [];
      await readAll(new ReadableStream(scripted(steps, webLog)).getReader(), webLog, cancelAfter);
      await tick();
      const pullLog: string[] = [];
      await readAll(new PullBody(scripted(steps, pullLog)).getReader(), pullLog, cancelAfter);
      await tick();
      expect(pullLog).toEqual(webLog);
    });
  }

  it('pulls again, where a web stream would wait for good, when a pull brought nothing', async () => {
    const log: string[] = [];
    const body = new PullBody(scripted([{ wait: true }, { enqueue: ['a'], close: true }], log));
    expect(text((await body.read()).value)).toBe('a');
    expect(log).toEqual(['start', 'pull 1', 'pull 2']);
  });

  it('never pulls twice at once, and resolves `closed` once read to the end', async () => {
    const log: string[] = [];
    const body = new PullBody(
      scripted(
        [
          { wait: true, enqueue: ['a'] },
          { wait: true, close: true },
        ],
        log,
      ),
    );
    const [first, second] = await Promise.all([body.read(), body.read()]);
    expect(text(first.value)).toBe('a');
    expect(second.done).toBe(true);
    expect(log).toEqual(['start', 'pull 1', 'pull 2']);
    await expect(body.closed).resolves.toBeUndefined();
  });

  it('errors when a pull throws: reads and `closed` reject with that error', async () => {
    const body = new PullBody(scripted([{ fail: 'upstream broke' }], []));
    await expect(body.read()).rejects.toThrow('upstream broke');
    await expect(body.closed).rejects.toThrow('upstream broke');
  });

  it('errors, and throws nothing out of its own, when a pull throws before returning a promise', async () => {
    const body = new PullBody({
      start() {},
      pull() {
        throw new Error('thrown at once');
      },
      cancel() {},
    });
    await expect(body.read()).rejects.toThrow('thrown at once');
    await expect(body.closed).rejects.toThrow('thrown at once');
  });

  /** A source whose pulls never end, driven from outside through `controller`, as the stream core's abort listener does. */
  function stalled(log: string[]): { source: PullSource; controller: () => ReadableStreamDefaultController<Uint8Array> } {
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    return {
      controller: () => controller,
      source: {
        start: (c) => {
          controller = c;
        },
        pull: () => new Promise<void>(() => log.push('pull')),
        cancel: (reason) => log.push(`cancel ${String(reason)}`),
      },
    };
  }

  it('answers a waiting read when the source enqueues and closes outside its pull', async () => {
    const log: string[] = [];
    const { source, controller } = stalled(log);
    const body = new PullBody(source);
    const read = body.read();
    await tick();
    controller().enqueue(bytes('error frame'));
    controller().close();
    expect(text((await read).value)).toBe('error frame');
    expect((await body.read()).done).toBe(true);
    await expect(body.closed).resolves.toBeUndefined();
    expect(log).toEqual(['pull']);
  });

  it('answers a waiting read when the source closes or errors outside its pull', async () => {
    const closing = stalled([]);
    const closed = new PullBody(closing.source);
    const read = closed.read();
    await tick();
    closing.controller().close();
    expect((await read).done).toBe(true);

    const failing = stalled([]);
    const errored = new PullBody(failing.source);
    const failed = errored.read();
    await tick();
    failing.controller().error(new Error('cut'));
    await expect(failed).rejects.toThrow('cut');
  });

  it('answers a read at once when the source enqueues before its pull settles', async () => {
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const body = new PullBody({
      start: (c) => {
        controller = c;
      },
      pull: () => {
        controller.enqueue(bytes('early'));
        return new Promise<void>(() => {});
      },
      cancel() {},
    });
    expect(text((await body.read()).value)).toBe('early');
  });

  it('answers a waiting read when it is cancelled, and cancels its source once', async () => {
    const log: string[] = [];
    const body = new PullBody(stalled(log).source);
    const read = body.read();
    await tick();
    await body.cancel('client gone');
    expect((await read).done).toBe(true);
    await body.cancel('again');
    expect(log).toEqual(['pull', 'cancel client gone']);
  });

  it('takes one reader at a time', () => {
    const body = new PullBody(scripted([{ close: true }], []));
    body.getReader();
    expect(() => body.getReader()).toThrow(/locked/);
    body.releaseLock();
    expect(() => body.getReader()).not.toThrow();
  });

  it('is cancelled at once when a Response reading it is cancelled while a pull waits', async () => {
    const log: string[] = [];
    const reader = new Response(pullBody(stalled(log).source)).body!.getReader();
    const read = reader.read();
    await tick();
    await reader.cancel('gone');
    expect((await read).done).toBe(true);
    expect(log.filter((l) => l.startsWith('cancel'))).toHaveLength(1);
  });

  it('is read by a Response through its async iterator, and cancelled when that reader stops early', async () => {
    const log: string[] = [];
    const whole = new Response(pullBody(scripted([{ enqueue: ['a', 'b'] }, { enqueue: ['c'], close: true }], log)));
    expect(await whole.text()).toBe('abc');
    expect(log.some((l) => l.startsWith('cancel'))).toBe(false);

    const cancelled: string[] = [];
    const partial = new Response(pullBody(scripted([{ enqueue: ['a'] }, { wait: true, enqueue: ['b'] }, { close: true }], cancelled)));
    const reader = partial.body!.getReader();
    expect(text((await reader.read()).value)).toBe('a');
    await reader.cancel();
    await tick();
    expect(cancelled.filter((l) => l.startsWith('cancel'))).toHaveLength(1);
  });
});

describe("PullBody through Hono's Node adapter", () => {
  it('is written to the client, and cancelled when the client goes', async () => {
    const log: string[] = [];
    let gone!: () => void;
    const cancelled = new Promise<void>((resolve) => (gone = resolve));
    const server = await listenDual((request) => {
      if (new URL(request.url).pathname === '/whole') {
        return new Response(pullBody(scripted([{ enqueue: ['a'] }, { wait: true, enqueue: ['b'] }, { close: true }], log)));
      }
      // Never ends: the client goes away while it waits.
      let controller!: ReadableStreamDefaultController<Uint8Array>;
      return new Response(
        pullBody({
          start: (c) => {
            controller = c;
          },
          pull: async () => {
            if (controller.desiredSize === 1 && !log.includes('first')) {
              log.push('first');
              controller.enqueue(bytes('x'));
            } else await new Promise(() => {});
          },
          cancel: () => gone(),
        }),
      );
    });
    try {
      expect(await (await fetch(`${server.url}/whole`)).text()).toBe('ab');
      const socket = await openSocket(server.url);
      socket.write('GET /endless HTTP/1.1\r\nHost: x\r\n\r\n');
      await new Promise((resolve) => socket.once('data', resolve));
      socket.destroy();
      await cancelled;
    } finally {
      await server.close();
    }
  });
});
