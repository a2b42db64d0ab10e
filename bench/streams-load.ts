import type { ClientHttp2Session } from 'node:http2';
import { openSession, runStream, type StreamRequest } from './streams-client.ts';
import type { StreamsClient, StreamTally } from './streams-settings.ts';

/** What the parent sends to start the load. */
export interface LoadOrder {
  type: 'start';
  streams: number;
  rampMs: number;
  /** `h1`: a connection per stream; `h2`: stream `i` goes on session `i % sessions`. */
  client: StreamsClient;
  sessions: number;
  /** The request of stream `i` is `base` with `x-session-id: streams-<i>`. */
  base: Omit<StreamRequest, 'body'> & { body: string };
}

/** Counts the load process reports on `progress`. */
export interface LoadProgress {
  type: 'progress';
  started: number;
  /** First content read, not ended yet. */
  open: number;
  ended: number;
}

/**
 * Child process of `bench/streams.ts` (forked with an IPC channel): opens the ordered number of ConverseStream
 * requests evenly over the ramp, each on an HTTP/1.1 connection of its own or spread over HTTP/2 sessions, reads every one to its end, answers `progress`
 * messages with its counts and sends the tally (and its own peak RSS) when every stream has ended.
 */
function main(): void {
  const tally: StreamTally = { started: 0, complete: 0, errors: {}, ttftMs: [], durationMs: [] };
  let open = 0;
  let ended = 0;
  process.on('message', (message: LoadOrder | 'progress') => {
    if (message === 'progress') {
      const progress: LoadProgress = { type: 'progress', started: tally.started, open, ended };
      process.send?.(progress);
      return;
    }
    if (message.type === 'start') void run(message);
  });

  async function run(order: LoadOrder): Promise<void> {
    const body = Buffer.from(order.base.body);
    const sessions: ClientHttp2Session[] = [];
    // A session that went away (GOAWAY, reset) is replaced for the streams still to come; its own streams count as errors.
    const sessionFor = (i: number): ClientHttp2Session | undefined => {
      if (order.client === 'h1') return undefined;
      const k = i % order.sessions;
      const current = sessions[k];
      if (current && !current.closed && !current.destroyed) return current;
      sessions[k] = openSession(order.base.origin);
      return sessions[k];
    };
    const started = performance.now();
    const runs: Promise<void>[] = [];
    for (let i = 0; i < order.streams; i++) {
      const due = started + (order.rampMs * i) / order.streams;
      const wait = due - performance.now();
      if (wait >= 5) await new Promise((resolve) => setTimeout(resolve, wait));
      tally.started++;
      const request = { ...order.base, body, headers: { ...order.base.headers, 'x-session-id': `streams-${i}` } };
      let counted = false;
      runs.push(
        runStream(request, {
          session: sessionFor(i),
          onFirstContent: () => {
            counted = true;
            open++;
          },
        }).then((outcome) => {
          if (counted) open--;
          ended++;
          if (outcome.ok) tally.complete++;
          else tally.errors[outcome.failure!] = (tally.errors[outcome.failure!] ?? 0) + 1;
          if (outcome.ttftMs !== null) tally.ttftMs.push(outcome.ttftMs);
          tally.durationMs.push(outcome.durationMs);
        }),
      );
    }
    await Promise.all(runs);
    for (const session of sessions) session.close();
    process.send?.({ type: 'tally', tally, peakRssKb: process.resourceUsage().maxRSS });
  }
}

main();
