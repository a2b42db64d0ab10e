import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createAnalysisIndexes, openDatabase } from '../stores/sqlite/database.ts';
import { configStoreFromEnv, ConfigStoreEnv, EnvError, parseEnv } from '../stores/config/env.ts';
import { runJob } from './job.ts';

const USAGE = `usage: npm run analysis -- [--store data/gateway.db | postgres://...] [--schema public] [--to-warehouse postgres://...]
                         [--run-id id] [--since ISO] [--experiment id] [--out reports/]
                         [--config FILE] [--route name] [--settings file.json] [--daily-volume n] [--build-indexes]
The configuration (experiments, splits, current table, prices) is read from the config store the gateway uses
(CONFIG_STORE, DATA_DIR, UPSTASH_REDIS_REST_URL/TOKEN, DYNAMODB_TABLE/ENDPOINT, CONFIG_STORE_PREFIX); while that store
is empty, from GATEWAY_CONFIG (default config/mangaassist.json). --config FILE analyses against a file instead.
--build-indexes first builds the analysis indexes in a SQLite store (once; later runs read through them; every
observation write then costs about twice as much).`;

async function main(): Promise<void> {
  const env = parseEnv(ConfigStoreEnv, process.env);
  const { values } = parseArgs({
    options: {
      store: { type: 'string', default: join(env.DATA_DIR, 'gateway.db') },
      schema: { type: 'string' },
      'to-warehouse': { type: 'string' },
      'run-id': { type: 'string' },
      since: { type: 'string' },
      experiment: { type: 'string' },
      out: { type: 'string', default: 'reports' },
      config: { type: 'string' },
      route: { type: 'string' },
      settings: { type: 'string' },
      'daily-volume': { type: 'string' },
      'build-indexes': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const settings = values.settings ? (JSON.parse(readFileSync(values.settings, 'utf8')) as Record<string, unknown>) : {};
  if (values['daily-volume']) settings.dailyVolume = Number(values['daily-volume']);
  if (values['build-indexes']) buildIndexes(values.store);
  const result = await runJob({
    store: values.store,
    schema: values.schema,
    resultsTo: values['to-warehouse'],
    runId: values['run-id'],
    configPath: values.config,
    configStore: configStoreFromEnv(env),
    fallbackConfigPath: env.GATEWAY_CONFIG,
    outDir: values.out,
    since: values.since,
    experimentId: values.experiment,
    routeName: values.route,
    settings,
  });
  console.log(result.markdown);
  console.error(`configuration analysed: ${result.report.configSource?.description}`);
  console.log(`report written to ${result.markdownPath} and ${result.jsonPath}; dashboard: ${result.dashboardPath}`);
  if (result.warehouseRunId) console.log(`results written to the warehouse as run ${result.warehouseRunId}`);
}

function buildIndexes(store: string): void {
  if (/^postgres(ql)?:\/\//.test(store))
    throw new Error('--build-indexes applies to a SQLite store; the warehouse migrations build its indexes');
  if (!existsSync(store)) throw new Error(`--build-indexes: no SQLite store at ${store}`);
  const db = openDatabase(store, { busyTimeoutMs: 60_000 });
  try {
    const ms = createAnalysisIndexes(db);
    console.error(`analysis indexes in ${store}: ready after ${(ms / 1000).toFixed(1)} s`);
  } finally {
    db.close();
  }
}

try {
  await main();
} catch (error) {
  console.error(`analysis failed: ${(error as Error).message}`);
  if (error instanceof EnvError) process.exitCode = 2;
  else {
    console.error(USAGE);
    process.exitCode = 1;
  }
}
