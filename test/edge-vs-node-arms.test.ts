import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BedrockRuntimeClient, ConverseCommand, ConverseStreamCommand } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../lib/node/free-port.ts';
import { killGroup, spawnGateway, tempDir, type SpawnedGateway } from './support/gateway.ts';

/**
 * `npm start` and `npm run edge` as separate processes, started the way an operator starts them, on one configuration
 * file (the bundled one plus a canary): the same session ids must land on the same arm on both.
 */

const SESSIONS = Array.from({ length: 300 }, (_, i) => `edge-vs-node-${i}`);
/** The bundled experiment's intent and the added canary's. */
const INTENTS = ['recommendation', 'faq'] as const;

let configFile: string;
let node: SpawnedGateway | undefined;
let edge: SpawnedGateway | undefined;
let edgePort: number;

function writeConfig(): string {
  const config = JSON.parse(readFileSync(new URL('../config/mangaassist.json', import.meta.url), 'utf8'));
  config.canaries = [
    {
      id: 'faq-haiku',
      route: 'mangaassist',
      intent: 'faq',
      baseline: 'sonnet-35-v1',
      candidate: 'haiku-35',
      weight: 30,
      status: 'running',
    },
  ];
  const path = join(tempDir('edge-vs-node-'), 'config.json');
  writeFileSync(path, JSON.stringify(config));
  return path;
}

/** SIGTERM to the whole process group, then SIGKILL to whatever of it is left after `graceMs`. */
async function stopGroup(child: SpawnedGateway['child'], graceMs = 10_000): Promise<void> {
  if (!child.pid) return;
  const exited = child.exitCode !== null ? Promise.resolve() : new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    return; // The group is gone already.
  }
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, graceMs))]);
  killGroup(child);
}

/** Whether any process of the group is still alive. */
function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  configFile = writeConfig();
  const [nodePort, port] = [await freePort(), await freePort()];
  edgePort = port;
  // Started one after the other: two start-ups at once on a busy two-core machine slow each other past any timeout.
  node = await spawnGateway(
    { GATEWAY_CONFIG: configFile, PORT: String(nodePort), SIM_TIME_SCALE: '0', CANARY_CONTROLLER: 'off', GATEWAY_API_KEYS: '' },
    { viaNpm: true, startTimeoutMs: 60_000 },
  );
  edge = await spawnGateway(
    { GATEWAY_CONFIG: configFile, PORT: String(edgePort), SIM_TIME_SCALE: '0', GATEWAY_API_KEYS: '' },
    { npmScript: 'edge', listening: /edge gateway \(Worker under workerd\) listening on (http:\/\/\S+)/, startTimeoutMs: 120_000 },
  );
}, 200_000);

afterAll(async () => {
  const started = [node, edge].filter((p): p is SpawnedGateway => p !== undefined);
  await Promise.all(started.map((p) => stopGroup(p.child)));
  for (const p of started) {
    for (let i = 0; i < 50 && groupAlive(p.child.pid!); i++) await new Promise((r) => setTimeout(r, 100));
    expect(groupAlive(p.child.pid!), `a process of ${p.child.spawnargs.join(' ')} outlived the test`).toBe(false);
  }
}, 30_000);

/** The arm and configuration a session is assigned for an intent, from the response headers of a Converse call. */
async function armOf(base: string, intent: string, session: string): Promise<string> {
  const res = await fetch(`${base}/model/mangaassist/converse`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-intent': intent, 'x-session-id': session },
    body: JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'hello' }] }], inferenceConfig: { maxTokens: 5 } }),
    signal: AbortSignal.timeout(30_000),
  });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`${base} answered ${res.status} for ${intent}/${session}`);
  return `${res.headers.get('x-gateway-arm')}/${res.headers.get('x-gateway-config')}`;
}

/** Arms of every session for `intent`, a few calls in flight at a time. */
async function armsOf(base: string, intent: string): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < SESSIONS.length; i += 8)
    out.push(...(await Promise.all(SESSIONS.slice(i, i + 8).map((session) => armOf(base, intent, session)))));
  return out;
}

describe('npm run edge against npm start, same configuration file', () => {
  it('both answer /healthz; the edge listens on the PORT it was given', async () => {
    expect(new URL(edge!.url).port).toBe(String(edgePort));
    for (const base of [node!.url, edge!.url]) {
      const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(30_000) });
      expect(res.status).toBe(200);
      expect((await res.json()).status).toBe('ok');
    }
    expect(edge!.output()).toContain(`configuration: ${configFile} (bundled into the Worker)`);
  });

  it.each(INTENTS)(
    '300 session ids get the same arm and configuration for %s',
    async (intent) => {
      const [onNode, onEdge] = await Promise.all([armsOf(node!.url, intent), armsOf(edge!.url, intent)]);
      expect(onEdge).toEqual(onNode);
      // Both arms of the rollout occur, so the comparison covers real decisions.
      const expected =
        intent === 'recommendation' ? ['control/sonnet-35-v1', 'treatment/sonnet-35-v2'] : ['baseline/sonnet-35-v1', 'canary/haiku-35'];
      expect(new Set(onEdge)).toEqual(new Set(expected));
    },
    120_000,
  );

  it('the AWS SDK (HTTP/1.1) Converse and ConverseStream, and the OpenAI SDK, are served', async () => {
    const sdk = new BedrockRuntimeClient({
      region: 'us-east-1',
      endpoint: edge!.url,
      token: { token: 'unused' },
      authSchemePreference: ['httpBearerAuth'],
      maxAttempts: 1,
      requestHandler: new NodeHttpHandler({ requestTimeout: 30_000 }),
    });
    try {
      const messages = [{ role: 'user' as const, content: [{ text: 'Where is my order?' }] }];
      const whole = await sdk.send(
        new ConverseCommand({ modelId: 'mangaassist', messages, requestMetadata: { intent: 'order_tracking', session_id: 'sdk-1' } }),
      );
      expect(whole.output?.message?.content?.[0]?.text?.length).toBeGreaterThan(0);
      expect(whole.usage?.outputTokens).toBeGreaterThan(0);
      const streamed = await sdk.send(
        new ConverseStreamCommand({ modelId: 'mangaassist', messages, requestMetadata: { intent: 'faq', session_id: 'sdk-2' } }),
      );
      let deltas = 0;
      let outputTokens = 0;
      for await (const event of streamed.stream!) {
        if (event.contentBlockDelta) deltas++;
        if (event.metadata) outputTokens = event.metadata.usage?.outputTokens ?? 0;
      }
      expect(deltas).toBeGreaterThan(1);
      expect(outputTokens).toBeGreaterThan(0);
    } finally {
      sdk.destroy();
    }
    const openai = new OpenAI({ baseURL: `${edge!.url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 30_000 });
    const chat = await openai.chat.completions.create({ model: 'mangaassist', messages: [{ role: 'user', content: 'hi' }] });
    expect(chat.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect(chat.usage?.completion_tokens).toBeGreaterThan(0);
  }, 60_000);
});

describe('npm run edge with a bad configuration file', () => {
  it('stops before starting anything, naming the bad field', async () => {
    const path = join(tempDir('edge-bad-config-'), 'bad.json');
    writeFileSync(
      path,
      JSON.stringify({ pricing: {}, configs: [{ id: 'x', upstream: { provider: 'bedrock', modelId: 'm' }, maxTokens: 5 }] }),
    );
    const err = await spawnGateway(
      { GATEWAY_CONFIG: path, PORT: '0' },
      { npmScript: 'edge', listening: /edge gateway \(Worker under workerd\) listening on (http:\/\/\S+)/, startTimeoutMs: 60_000 },
    ).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toContain('edge failed to start');
    expect(err?.message).toContain('configs.0.priceKey: configuration "x" has no price');
  }, 70_000);
});
