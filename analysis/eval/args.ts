import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { z } from 'zod';
import { checkConfigStoreEnv, configStoreEnvShape } from '../../stores/config/env.ts';
import { DEFAULT_DATASET } from './dataset.ts';

/**
 * The evaluator's environment: the config store the gateway uses (its configurations and prices are evaluated),
 * the simulator settings of the embedded gateway, and the key for `--gateway`.
 */
export const EvalEnv = z
  .object({
    ...configStoreEnvShape,
    SIM_TIME_SCALE: z.coerce.number().min(0).default(0),
    SIM_SEED: z.string().min(1).default('1'),
    GATEWAY_API_KEY: z.string().min(1).optional(),
  })
  .superRefine(checkConfigStoreEnv);
export type EvalEnv = z.infer<typeof EvalEnv>;

/** Usage text of `npm run eval`. */
export const USAGE = `usage: npm run eval -- --configs a,b[,c...] [--dataset ${DEFAULT_DATASET}] [--gateway URL] [--api-key KEY]
       [--run-id ID] [--fresh] [--concurrency 4] [--limit-per-intent N] [--intents a,b] [--judge CONFIG_ID] [--judge-weight 0.3]
       [--store $DATA_DIR/gateway.db] [--out reports/eval/<run id>/] [--config FILE]
       [--time-scale $SIM_TIME_SCALE] [--seed $SIM_SEED] [--gate 0.75] [--attempts 5]
Configuration ids and prices come from the config store the gateway uses (CONFIG_STORE, DATA_DIR, ...), or from
GATEWAY_CONFIG while that store is empty; --config FILE uses a file instead.`;

const positiveInt = (name: string) =>
  z.coerce
    .number({ error: `--${name} must be a number` })
    .int(`--${name} must be an integer`)
    .positive(`--${name} must be positive`);
const list = (name: string) =>
  z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .refine((l) => l.length > 0, `--${name} needs at least one value`);

/** The evaluator's options, validated. */
export const EvalArgs = z.object({
  configs: list('configs')
    .refine((l) => l.length >= 2, '--configs needs at least two configuration ids')
    .refine((l) => new Set(l).size === l.length, '--configs must name distinct configurations'),
  dataset: z.string().default(DEFAULT_DATASET),
  gateway: z.url({ error: '--gateway must be a URL' }).optional(),
  'api-key': z.string().optional(),
  'run-id': z
    .string()
    .regex(/^[A-Za-z0-9._:-]{1,128}$/, '--run-id must be 1-128 chars of letters, digits, ".", "_", ":" or "-"')
    .optional(),
  fresh: z.boolean({ error: '--fresh takes no value' }).default(false),
  concurrency: positiveInt('concurrency').max(64, '--concurrency must be at most 64').default(4),
  'limit-per-intent': positiveInt('limit-per-intent').optional(),
  intents: list('intents').optional(),
  judge: z.string().optional(),
  'judge-weight': z.coerce
    .number({ error: '--judge-weight must be a number' })
    .min(0, '--judge-weight must be in [0, 1]')
    .max(1, '--judge-weight must be in [0, 1]')
    .optional(),
  store: z.string(),
  out: z.string().optional(),
  config: z.string().optional(),
  'time-scale': z.coerce.number({ error: '--time-scale must be a number' }).min(0, '--time-scale must be >= 0'),
  seed: z.string(),
  gate: z.coerce
    .number({ error: '--gate must be a number' })
    .min(0, '--gate must be in [0, 1]')
    .max(1, '--gate must be in [0, 1]')
    .default(0.75),
  attempts: positiveInt('attempts').max(20, '--attempts must be at most 20').default(5),
});
export type EvalArgs = z.infer<typeof EvalArgs>;

/**
 * Command-line arguments parsed and validated, with the defaults the environment gives (`DATA_DIR`,
 * `SIM_TIME_SCALE`, `SIM_SEED`); a string is the message of a usage error.
 */
export function parseEvalArgs(argv: readonly string[], env: EvalEnv = EvalEnv.parse({})): EvalArgs | { help: true } | string {
  let values: Record<string, unknown>;
  try {
    const parsed = parseArgs({
      args: [...argv],
      options: {
        configs: { type: 'string' },
        dataset: { type: 'string' },
        gateway: { type: 'string' },
        'api-key': { type: 'string' },
        'run-id': { type: 'string' },
        fresh: { type: 'boolean' },
        concurrency: { type: 'string' },
        'limit-per-intent': { type: 'string' },
        intents: { type: 'string' },
        judge: { type: 'string' },
        'judge-weight': { type: 'string' },
        store: { type: 'string' },
        out: { type: 'string' },
        config: { type: 'string' },
        'time-scale': { type: 'string' },
        seed: { type: 'string' },
        gate: { type: 'string' },
        attempts: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
    values = parsed.values;
  } catch (error) {
    return (error as Error).message;
  }
  if (values.help) return { help: true };
  if (values.configs === undefined) return '--configs is required (at least two configuration ids, comma-separated)';
  const defaults = { store: join(env.DATA_DIR, 'gateway.db'), 'time-scale': env.SIM_TIME_SCALE, seed: env.SIM_SEED };
  const parsed = EvalArgs.safeParse({ ...defaults, ...values });
  if (!parsed.success)
    return parsed.error.issues.map((i) => (i.message.startsWith('--') ? i.message : `--${i.path.join('.')}: ${i.message}`)).join('; ');
  return parsed.data;
}
