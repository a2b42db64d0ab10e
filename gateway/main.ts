import { randomBytes } from 'node:crypto';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { listenDual } from '../lib/node/listen.ts';
import { startSimulator } from '../simulator/server.ts';
import { MemoryObservationSink } from '../stores/observations/memory.ts';
import { createGatewayApp } from './app.ts';
import { staticApiKeys } from './auth.ts';
import { loadGatewayConfig } from './config/load.ts';
import { staticConfig } from './deps.ts';
import { readEnv } from './env.ts';
import { initBucketing } from './routing/bucket.ts';
import { bedrockUpstream, type BedrockUpstreamOptions } from './upstreams/bedrock/client.ts';

/** Composition root of the Node gateway: environment, configuration, upstream, sink, listener. */
async function main(): Promise<void> {
  const env = readEnv();
  const config = loadGatewayConfig(env.GATEWAY_CONFIG);
  await initBucketing();

  let upstreamOptions: BedrockUpstreamOptions;
  let stopSimulator = async (): Promise<void> => {};
  if (env.UPSTREAM === 'simulator') {
    const credentials = { accessKeyId: `SIM${randomBytes(8).toString('hex').toUpperCase()}`, secretAccessKey: randomBytes(24).toString('base64') };
    const sim = await startSimulator({ seed: env.SIM_SEED, timeScale: env.SIM_TIME_SCALE, credentials });
    stopSimulator = () => sim.close();
    upstreamOptions = { endpoint: sim.url, region: env.AWS_REGION, credentials };
    console.log(`upstream: embedded simulator at ${sim.url} (seed ${env.SIM_SEED}, time scale ${env.SIM_TIME_SCALE})`);
  } else {
    const endpoint = env.BEDROCK_ENDPOINT ?? `https://bedrock-runtime.${env.AWS_REGION}.amazonaws.com`;
    upstreamOptions = env.AWS_BEARER_TOKEN_BEDROCK
      ? { endpoint, region: env.AWS_REGION, apiKey: env.AWS_BEARER_TOKEN_BEDROCK }
      : { endpoint, region: env.AWS_REGION, credentials: defaultProvider() };
    console.log(`upstream: Bedrock at ${endpoint} (${env.AWS_BEARER_TOKEN_BEDROCK ? 'API key' : 'SigV4, default credential chain'})`);
  }
  upstreamOptions.timeoutMs = env.UPSTREAM_TIMEOUT_MS;

  const auth = await staticApiKeys(env.GATEWAY_API_KEYS.split(','));
  if (!auth.enabled()) console.log('data-plane auth is OFF: no API keys configured (set GATEWAY_API_KEYS to turn it on)');
  const sink = new MemoryObservationSink(10_000);
  const app = createGatewayApp({
    config: staticConfig(config),
    upstreams: { bedrock: bedrockUpstream(upstreamOptions) },
    sink,
    auth,
    maxBodyBytes: env.MAX_BODY_BYTES,
    now: () => performance.now(),
  });
  const server = await listenDual(app.fetch, { port: env.PORT, host: env.HOST });
  console.log(`gateway listening on ${server.url} (HTTP/1.1 and HTTP/2 cleartext); routes: ${config.routes.map((r) => r.name).join(', ')}`);

  const stop = async (): Promise<void> => {
    await server.close(5_000);
    await sink.flush();
    await stopSimulator();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

main().catch((err: unknown) => {
  console.error(`gateway failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
