import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ScriptedUpstream } from '../../gateway/contract/scripted-upstream.ts';
import type { FeedbackRecord } from '../../schema/feedback.ts';
import type { Observation } from '../../schema/observation.ts';
import type { ObservationSink } from '../../stores/observations/interface.ts';

/** The test's current scripted upstream, and the sink of each generation of the Worker's app (one per test). */
export interface BridgeTarget {
  upstream: ScriptedUpstream;
  sinks: Map<string, ObservationSink>;
}

async function bodyOf(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

/** Plays one upstream call of the scripted upstream back over HTTP: resets destroy the socket, stalls hold it. */
async function playUpstream(target: BridgeTarget, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await bodyOf(req);
  const gone = new AbortController();
  res.on('close', () => gone.abort(new Error('the Worker closed the call')));
  const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
  const answer = await target.upstream.transport({
    origin: 'http://bridge',
    path: req.url ?? '/',
    method: req.method === 'GET' ? 'GET' : 'POST',
    headers,
    body: new Uint8Array(body),
    signal: gone.signal,
  });
  const out: Record<string, string> = {};
  for (const name of ['content-type', 'x-amzn-errortype', 'location']) {
    const value = answer.header(name);
    if (value !== null) out[name] = value;
  }
  res.writeHead(answer.status, out);
  res.flushHeaders();
  try {
    // Each chunk is on the wire before the next step: a reset after it must not take back bytes already sent.
    for (let chunk = await answer.read(); chunk; chunk = await answer.read()) await new Promise((resolve) => res.write(chunk, resolve));
    res.end();
  } catch {
    res.destroy();
  }
}

/** An HTTP server standing between the Worker and the test: upstream calls and the records written. */
export async function startContractBridge(current: () => BridgeTarget): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    if (req.url === '/__records') {
      void bodyOf(req).then((raw) => {
        const batch = JSON.parse(raw.toString()) as { generation: string; observations: Observation[]; feedback: FeedbackRecord[] };
        const sink = current().sinks.get(batch.generation);
        if (!sink) return res.end('no such generation');
        for (const o of batch.observations) sink.record(o);
        if (batch.feedback.length) sink.recordFeedback(batch.feedback);
        res.end('ok');
      });
      return;
    }
    playUpstream(current(), req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
