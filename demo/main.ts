import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { formatIssues } from '../schema/config.ts';
import { commandEnv } from '../schema/env.ts';
import { configStoreFromEnv, ConfigStoreEnv, describeStore } from '../stores/config/env.ts';
import { runDemo } from './run-demo.ts';
import { demoSummary } from './summary.ts';

const USAGE = `usage: npm run demo -- [--sessions 600] [--time-scale 0.01] [--seed 7] [--data-dir DIR] [--out DIR]
The demo's gateway routes by the config store CONFIG_STORE selects (SQLite in the demo's data directory by default;
a fresh temporary one unless --data-dir is given), seeded with the demo configuration when empty.`;

/** The demo's options, validated; each message names its option. */
const DemoArgs = z.object({
  sessions: z.coerce
    .number({ error: '--sessions must be a number' })
    .int('--sessions must be an integer')
    .positive('--sessions must be positive')
    .default(600),
  'time-scale': z.coerce.number({ error: '--time-scale must be a number' }).min(0, '--time-scale must be >= 0').default(0.01),
  seed: z.coerce.number({ error: '--seed must be a number' }).int('--seed must be an integer').default(7),
  'data-dir': z.string().min(1).optional(),
  out: z.string().min(1).optional(),
});

/** Composition root of `npm run demo`; returns the exit code. */
async function main(): Promise<number> {
  const env = commandEnv(ConfigStoreEnv, process.env, (message) => console.error(`demo: ${message}`));
  if (!env) return 2;
  const { values } = parseArgs({
    options: {
      sessions: { type: 'string' },
      'time-scale': { type: 'string' },
      'data-dir': { type: 'string' },
      out: { type: 'string' },
      seed: { type: 'string' },
    },
  });
  const args = DemoArgs.safeParse(values);
  if (!args.success) {
    console.error(`demo: ${formatIssues(args.error)}\n${USAGE}`);
    return 2;
  }
  const o = args.data;
  // The demo never writes into the gateway's own data directory unless asked to.
  const dataDir = o['data-dir'] ?? mkdtempSync(join(tmpdir(), 'gateway-demo-'));
  const started = Date.now();
  const configStore = configStoreFromEnv({ ...env, DATA_DIR: dataDir });
  const result = await runDemo({ sessions: o.sessions, timeScale: o['time-scale'], seed: o.seed, dataDir, outDir: o.out, configStore });
  console.log(result.markdown);
  console.log(`demo finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(demoSummary({ ...result, configStore: describeStore(configStore) }).join('\n'));
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = 1;
  },
);
