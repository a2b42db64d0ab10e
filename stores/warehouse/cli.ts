import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { commandEnv, withoutEmpty } from '../../schema/env.ts';
import { openDatabase } from '../sqlite/database.ts';
import { DEFAULT_BATCH_SIZE, defaultReplica, exportToWarehouse } from './export.ts';
import { connectPostgresWarehouse, redact } from './postgres.ts';

const USAGE = `usage: npm run export -- --to postgres://user@host:5432/db [--from data/gateway.db] [--schema public] [--replica ID] [--batch ${DEFAULT_BATCH_SIZE}]
  --to       warehouse URL (default: $WAREHOUSE_URL)
  --from     embedded SQLite store (default: $DATA_DIR/gateway.db, DATA_DIR defaults to ./data)
  --schema   warehouse schema, created when missing (default: public)
  --replica  id of the replica this store belongs to; rows are keyed by (replica, seq), one high-water mark per
             replica, so every replica's store can export into one schema (default: the replica id of the
             store's first observation, else this host's name; give each store on one host its own)
  --batch    rows per transaction (default: ${DEFAULT_BATCH_SIZE})
exit codes: 0 done, 1 export failed (rerun to resume), 2 bad arguments`;

const POSTGRES_URL = /^postgres(ql)?:\/\//;

/** The export's environment: defaults for `--from` and `--to`. */
const ExportEnv = z.object({
  DATA_DIR: z.string().default('data'),
  WAREHOUSE_URL: z.string().regex(POSTGRES_URL, 'must be a postgres:// or postgresql:// URL').optional(),
});

const Args = z.object({
  from: z.string().min(1),
  to: z.string({ error: '--to is required (or set WAREHOUSE_URL)' }).regex(POSTGRES_URL, '--to must be a postgres:// or postgresql:// URL'),
  schema: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, '--schema: lower-case letters, digits and _')
    .default('public'),
  replica: z
    .string()
    .min(1, '--replica must not be empty')
    .max(256, '--replica is at most 256 characters')
    .regex(/^[\x21-\x7e]+$/, '--replica: printable ASCII without spaces')
    .optional(),
  batch: z.coerce
    .number()
    .int('--batch must be an integer')
    .min(1, '--batch must be at least 1')
    .max(100_000, '--batch is at most 100000')
    .default(DEFAULT_BATCH_SIZE),
});

/** The command line of `npm run export`. */
function parseExportArgs(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      schema: { type: 'string' },
      replica: { type: 'string' },
      batch: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

async function main(argv: string[]): Promise<number> {
  let values: ReturnType<typeof parseExportArgs>['values'];
  try {
    ({ values } = parseExportArgs(argv));
  } catch (error) {
    console.error(`export: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const env = commandEnv(ExportEnv, withoutEmpty(process.env), (message) => console.error(`export: ${message}`));
  if (!env) return 2;
  const parsed = Args.safeParse({
    from: values.from ?? join(env.DATA_DIR, 'gateway.db'),
    to: values.to ?? env.WAREHOUSE_URL,
    schema: values.schema,
    replica: values.replica,
    batch: values.batch,
  });
  if (!parsed.success) {
    console.error(`export: ${parsed.error.issues.map((i) => i.message).join('; ')}\n${USAGE}`);
    return 2;
  }
  const a = parsed.data;
  if (!existsSync(a.from)) {
    console.error(`export: no embedded store at ${a.from}`);
    return 2;
  }
  const connected = await connectPostgresWarehouse({ url: a.to, schema: a.schema });
  if (!connected.ok) {
    console.error(`export failed: ${connected.error}`);
    return 1;
  }
  const db = openDatabase(a.from, { readonly: true });
  const started = performance.now();
  try {
    const replica = a.replica ?? defaultReplica(db);
    console.log(`exporting ${a.from} as replica ${replica}`);
    const result = await exportToWarehouse(db, connected.warehouse, {
      replica,
      batchSize: a.batch,
      onBatch: (p) => console.log(`${p.table}: batch ${p.batch}, ${p.rows} rows, up to seq ${p.lastSeq}`),
    });
    for (const t of result.tables) {
      console.log(
        t.present
          ? `${t.table}: ${t.rows} rows copied in ${t.batches} batches, high-water mark ${t.lastSeq}`
          : `${t.table}: not in the embedded store, skipped`,
      );
    }
    if (!result.ok) {
      console.error(`export failed: ${result.error}\nrerun to resume from the last committed batch`);
      return 1;
    }
    console.log(`export to ${redact(a.to)} (schema ${a.schema}) done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return 0;
  } finally {
    db.close();
    await connected.warehouse.close().catch(() => {});
  }
}

process.exitCode = await main(process.argv.slice(2));
