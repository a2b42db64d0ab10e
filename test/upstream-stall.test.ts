import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventFrame, readFrames } from '../gateway/contract/answers.ts';
import { parseGatewayConfig } from '../gateway/config/load.ts';
import { startNodeGateway, type NodeGateway } from '../gateway/node.ts';
import type { MemoryObservationSink } from '../stores/observations/memory.ts';

// A model endpoint that sends its headers and one frame, then nothing: the undici transport is cut by the idle deadline.
let upstream: Server;
let gateway: NodeGateway;
beforeAll(async () => {
  upstream = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream' });
    res.write(eventFrame('messageStart', { role: 'assistant' }));
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const { port } = upstream.address() as { port: number };
  const config = parseGatewayConfig({
    pricing: { m: { inputPer1k: 1, outputPer1k: 1 } },
    configs: [{ id: 'c', upstream: { provider: 'bedrock', modelId: 'm' }, maxTokens: 10 }],
    routes: [{ name: 'r', intents: ['faq'], default: 'c' }],
  });
  gateway = await startNodeGateway({
    config,
    bedrock: { endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', apiKey: 'k' },
    dataDir: null,
    defaultMetrics: false,
    upstreamIdleTimeoutMs: 300,
  });
});
afterAll(async () => {
  await gateway?.shutdown();
  upstream?.closeAllConnections();
  upstream?.close();
});

describe('an upstream that stalls after its headers (over sockets, undici)', () => {
  it('ends the client stream with an exception frame and is recorded as a 504 upstream_idle_timeout', async () => {
    const res = await fetch(`${gateway.url}/model/r/converse-stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'hi' }] }] }),
    });
    const frames = readFrames(new Uint8Array(await res.arrayBuffer()));
    expect(frames.map((f) => f.type)).toEqual(['messageStart', 'modelStreamErrorException']);
    const [obs] = await (gateway.sink as MemoryObservationSink).waitFor(1);
    expect(obs).toMatchObject({ status: 504, errorCode: 'upstream_idle_timeout', streamed: true });
  });
});
