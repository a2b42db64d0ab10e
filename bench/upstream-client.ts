/**
 * Compares the two ways the gateway could call Bedrock: the AWS SDK's BedrockRuntimeClient, and the raw
 * SigV4-signed request the gateway uses (bytes passed through untouched). Same simulator (its own process,
 * zero delay), same body, sequential calls then 10 concurrent, in one run. `npx tsx bench/upstream-client.ts`
 */
import { spawn } from 'node:child_process';
import { BedrockRuntimeClient, ConverseCommand, ConverseStreamCommand } from '@aws-sdk/client-bedrock-runtime';
import { bedrockUpstream } from '../gateway/upstreams/bedrock/client.ts';
import { nodeSigningCrypto } from '../gateway/upstreams/bedrock/node-crypto.ts';
import { undiciTransport } from '../gateway/upstreams/http/undici.ts';

const credentials = { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench-secret' };
const MODEL = 'anthropic.claude-3-5-haiku-20241022-v1:0';
const body = {
  messages: [{ role: 'user' as const, content: [{ text: 'Where is my order 112-7788?' }] }],
  inferenceConfig: { maxTokens: 200 },
};

async function startSim(): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'simulator/main.ts'], {
    env: {
      ...process.env,
      SIM_PORT: '0',
      SIM_TIME_SCALE: '0',
      SIM_RANDOM_FAULTS: '0',
      SIM_ACCESS_KEY_ID: credentials.accessKeyId,
      SIM_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /(http:\/\/[\d.]+:\d+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
  });
  return { url, stop: () => child.kill() };
}

async function time(label: string, n: number, concurrency: number, call: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 200; i++) await call();
  const start = performance.now();
  let left = n;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left-- > 0) await call();
    }),
  );
  const perCall = (performance.now() - start) / n;
  console.log(`${label.padEnd(34)} ${(1000 / perCall).toFixed(0).padStart(6)} calls/s  ${(perCall * 1000).toFixed(0).padStart(6)} µs/call`);
  return perCall;
}

async function main(): Promise<void> {
  const sim = await startSim();
  console.log('simulator at', sim.url);
  const sdk = new BedrockRuntimeClient({ region: 'us-east-1', endpoint: sim.url, credentials, maxAttempts: 1 });
  const raw = bedrockUpstream({
    endpoint: sim.url,
    region: 'us-east-1',
    credentials,
    signingCrypto: nodeSigningCrypto,
    transport: undiciTransport(),
  });
  const encoded = new TextEncoder().encode(JSON.stringify(body));
  const signal = new AbortController().signal;
  const rawCall = (operation: 'converse' | 'converse-stream') => async () => {
    const r = await raw.call({
      target: { provider: 'bedrock', modelId: MODEL },
      operation,
      body: encoded,
      signal,
      intent: 'order_tracking',
    });
    if (!r.ok) throw r.error;
    await r.response.bytes();
  };
  const sdkConverse = () => sdk.send(new ConverseCommand({ modelId: MODEL, ...body }));
  const sdkStream = async () => {
    const out = await sdk.send(new ConverseStreamCommand({ modelId: MODEL, ...body }));
    for await (const _ of out.stream!) void _;
  };
  for (const concurrency of [1, 10]) {
    const a = await time(`SDK converse, ${concurrency} at a time`, 3_000, concurrency, sdkConverse);
    const b = await time(`raw signed converse, ${concurrency} at a time`, 3_000, concurrency, rawCall('converse'));
    const c = await time(`SDK converse-stream, ${concurrency} at a time`, 3_000, concurrency, sdkStream);
    const d = await time(`raw signed stream, ${concurrency} at a time`, 3_000, concurrency, rawCall('converse-stream'));
    console.log(`  raw/SDK time per call: converse ${(b / a).toFixed(2)}, stream ${(d / c).toFixed(2)}`);
  }
  sdk.destroy();
  sim.stop();
}

void main();
