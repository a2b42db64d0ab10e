import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import type { CanaryController } from '../admin/canary/controller.ts';
import { selectWindowSource } from '../admin/canary/window-source-select.ts';
import { startControlPlane } from '../admin/control-plane.ts';
import { lineLog, type Logger } from '../lib/log/interface.ts';
import { lineLogger } from '../lib/log/line.ts';
import { startSimulator } from '../simulator/server.ts';
import { dynamoObservationStore } from '../stores/observations/dynamodb.ts';
import type { DynamoObservationStore } from '../stores/observations/dynamodb.ts';
import { describeObservationLog, observationLogFromEnv, replicaIdOf } from '../stores/observations/env.ts';
import { describeLogChoice, observationLogChoice } from '../stores/observations/log-env.ts';
import { loadGatewayConfig } from './config/load.ts';
import { configStoreFromEnv, describeStore } from '../stores/config/env.ts';
import { connectionLimits, embeddedSimulatorOptions, fallbackPolicy, readEnv, upstreamHttp, type GatewayEnvSettings } from './env.ts';
import { startNodeGateway } from './node.ts';
import { drainOnSignals } from './signals.ts';
import type { BedrockUpstreamOptions } from './upstreams/bedrock/client.ts';

/** The upstream from the environment: the embedded simulator, or Bedrock with an API key or SigV4. */
async function upstreamFromEnv(
  env: GatewayEnvSettings,
  logger: Logger,
): Promise<{ options: BedrockUpstreamOptions; stop: () => Promise<void> }> {
  if (env.UPSTREAM === 'simulator') {
    const credentials = {
      accessKeyId: `SIM${randomBytes(8).toString('hex').toUpperCase()}`,
      secretAccessKey: randomBytes(24).toString('base64'),
    };
    const sim = await startSimulator({ ...embeddedSimulatorOptions(env), credentials });
    const faults = env.SIM_FAULTS === 'on' ? 'on: profile error, throttle and timeout rates apply' : 'off';
    logger.info(`upstream: embedded simulator at ${sim.url} (seed ${env.SIM_SEED}, time scale ${env.SIM_TIME_SCALE}, faults ${faults})`);
    return {
      options: { endpoint: sim.url, region: env.AWS_REGION, credentials, timeoutMs: env.UPSTREAM_TIMEOUT_MS },
      stop: () => sim.close(),
    };
  }
  const endpoint = env.BEDROCK_ENDPOINT ?? `https://bedrock-runtime.${env.AWS_REGION}.amazonaws.com`;
  const auth = env.AWS_BEARER_TOKEN_BEDROCK ? { apiKey: env.AWS_BEARER_TOKEN_BEDROCK } : { credentials: defaultProvider() };
  logger.info(`upstream: Bedrock at ${endpoint} (${env.AWS_BEARER_TOKEN_BEDROCK ? 'API key' : 'SigV4, default credential chain'})`);
  return { options: { endpoint, region: env.AWS_REGION, timeoutMs: env.UPSTREAM_TIMEOUT_MS, ...auth }, stop: async () => {} };
}

/** Composition root of the Node gateway (`npm start`). */
async function main(): Promise<void> {
  const env = readEnv();
  const logger = lineLogger({ format: env.LOG_FORMAT, level: env.LOG_LEVEL });
  const config = loadGatewayConfig(env.GATEWAY_CONFIG);
  // Canary windows come from the configured observation log; a log this build cannot read windows from stops the start.
  const observationLog = observationLogChoice(env);
  const sharedLog = observationLogFromEnv(env);
  const dynamoLog = observationLog.kind === 'dynamodb' ? (sharedLog as DynamoObservationStore) : undefined;
  const windows =
    env.CANARY_CONTROLLER === 'on'
      ? selectWindowSource(observationLog, { observationsPath: join(env.DATA_DIR, 'gateway.db'), dynamoLog })
      : null;
  if (windows && !windows.ok)
    throw new Error(`canary controller: ${windows.message}; choose another OBSERVATION_LOG or set CANARY_CONTROLLER=off`);
  const upstream = await upstreamFromEnv(env, logger);
  const apiKeys = env.GATEWAY_API_KEYS.split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  const storeChoice = configStoreFromEnv(env);
  const replicaId = replicaIdOf(env);
  const control = await startControlPlane({
    store: storeChoice,
    fileConfig: config,
    staticKeys: apiKeys,
    dataDir: env.DATA_DIR,
    reportsDir: env.REPORTS_DIR,
    adminToken: env.ADMIN_TOKEN,
    secretKey: env.GATEWAY_SECRET_KEY,
    adminPort: env.ADMIN_PORT,
    host: env.HOST,
    pollMs: env.CONFIG_POLL_MS,
    logger,
  });
  logger.info(
    `configuration: ${describeStore(storeChoice)} (version ${control.source.stats().version}, polled every ${env.CONFIG_POLL_MS} ms)`,
  );
  if (control.source.keys.enabled()) logger.info('data-plane auth is ON: requests need Authorization: Bearer <key> or a SigV4 signature');
  else logger.warn('data-plane auth is OFF: no API keys configured (set GATEWAY_API_KEYS or create keys through the admin API)');
  const gateway = await startNodeGateway({
    config,
    configSource: control.source,
    auth: control.source.keys,
    adminFetch: control.adminFetch,
    registerMetrics: control.registerMetrics,
    bedrock: upstream.options,
    port: env.PORT,
    host: env.HOST,
    connectionLimits: connectionLimits(env),
    apiKeys,
    dataDir: env.DATA_DIR,
    observationLog: sharedLog ?? undefined,
    replicaId,
    observationCopy:
      env.OBSERVATION_STORE === 'dynamodb'
        ? dynamoObservationStore({
            table: env.DYNAMODB_OBSERVATIONS_TABLE,
            region: env.AWS_REGION,
            endpoint: env.DYNAMODB_ENDPOINT,
            createTable: Boolean(env.DYNAMODB_ENDPOINT),
          })
        : undefined,
    maxBodyBytes: env.MAX_BODY_BYTES,
    shadow: { maxConcurrency: env.SHADOW_MAX_CONCURRENCY, maxBodyBytes: env.SHADOW_MAX_BODY_BYTES },
    upstreamIdleTimeoutMs: env.UPSTREAM_IDLE_TIMEOUT_MS,
    upstreamHttp: upstreamHttp(env),
    fallback: fallbackPolicy(env),
    shutdownGraceMs: env.SHUTDOWN_GRACE_MS,
    shutdownDelayMs: env.SHUTDOWN_DELAY_MS,
    logger,
  });
  logger.info(
    `observations: ${describeObservationLog(env, env.DATA_DIR)} from replica ${replicaId}${env.OBSERVATION_STORE === 'dynamodb' ? `, copied to DynamoDB table ${env.DYNAMODB_OBSERVATIONS_TABLE}` : ''}`,
  );
  let canaryController: CanaryController | null = null;
  if (windows?.ok) {
    const holder = env.CANARY_REPLICA_ID ?? replicaId;
    canaryController = control.startCanaryController({ holder, windows: windows.source, gatewayUrl: gateway.url });
    logger.info(
      `canary controller: on (replica ${holder}; acts while it holds the lease; windows from ${describeLogChoice(observationLog)})`,
    );
  }
  // Before the listening line: a signal sent as soon as the port answers finds its handler installed.
  drainOnSignals((signal) => void drain(signal), lineLog(logger, 'warn'));
  logger.info(
    `gateway listening on ${gateway.url} (HTTP/1.1 and HTTP/2 cleartext); routes: ${control.source
      .current()
      .config.routes.map((r) => r.name)
      .join(', ')}; admin API at ${gateway.url}/admin`,
  );

  async function drain(signal: string): Promise<void> {
    logger.info(`${signal}: draining (readyz 503 now; listener open ${env.SHUTDOWN_DELAY_MS} ms; grace ${env.SHUTDOWN_GRACE_MS} ms)`);
    try {
      // The controller's stop aborts a warm-up under way at once (before any request is refused), so requests failing
      // because the gateway shuts down are never taken for the candidate's; the drain starts in the same tick.
      const controllerStopped = canaryController?.stop();
      const [{ cut }] = await Promise.all([gateway.shutdown(), controllerStopped]);
      await control.close();
      await upstream.stop();
      logger.info(`stopped${cut ? `; ${cut} request(s) cut as shutdown_abort` : ''}`);
      process.exit(0);
    } catch (err) {
      logger.error(`shutdown failed: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    }
  }
}

main().catch((err: unknown) => {
  console.error(`gateway failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
