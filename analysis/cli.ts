import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runJob } from './job.ts';

const USAGE = `usage: npm run analysis -- [--store data/gateway.db | postgres://...] [--schema public] [--to-warehouse postgres://...]
                         [--run-id id] [--since ISO] [--experiment id] [--out reports/]
                         [--config config/mangaassist.json] [--route name] [--settings file.json] [--daily-volume n]`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      store: { type: 'string', default: join(process.env.DATA_DIR ?? 'data', 'gateway.db') },
      schema: { type: 'string' },
      'to-warehouse': { type: 'string' },
      'run-id': { type: 'string' },
      since: { type: 'string' },
      experiment: { type: 'string' },
      out: { type: 'string', default: 'reports' },
      config: { type: 'string', default: 'config/mangaassist.json' },
      route: { type: 'string' },
      settings: { type: 'string' },
      'daily-volume': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const settings = values.settings ? (JSON.parse(readFileSync(values.settings, 'utf8')) as Record<string, unknown>) : {};
  if (values['daily-volume']) settings.dailyVolume = Number(values['daily-volume']);
  const result = await runJob({
    store: values.store,
    schema: values.schema,
    resultsTo: values['to-warehouse'],
    runId: values['run-id'],
    configPath: values.config,
    outDir: values.out,
    since: values.since,
    experimentId: values.experiment,
    routeName: values.route,
    settings,
  });
  console.log(result.markdown);
  console.log(`report written to ${result.markdownPath} and ${result.jsonPath}; dashboard: ${result.dashboardPath}`);
  if (result.warehouseRunId) console.log(`results written to the warehouse as run ${result.warehouseRunId}`);
}

try {
  await main();
} catch (error) {
  console.error(`analysis failed: ${(error as Error).message}`);
  console.error(USAGE);
  process.exitCode = 1;
}
