import { join } from 'node:path';
import { z } from 'zod';
import { EnvError } from '../../schema/env.ts';
import type { ConfigStoreChoice } from './index.ts';

export { EnvError, parseEnv } from '../../schema/env.ts';

/**
 * The environment variables that choose the config store. The gateway and every CLI that needs routing facts
 * (analysis, eval, demo) read them through this one shape, so they all open the same store.
 */
export const configStoreEnvShape = {
  /** The file a gateway seeds an empty store from; the CLIs read it while the store is still empty. */
  GATEWAY_CONFIG: z.string().min(1).default('config/mangaassist.json'),
  DATA_DIR: z.string().min(1).default('./data'),
  CONFIG_STORE: z.enum(['sqlite', 'upstash', 'dynamodb']).default('sqlite'),
  CONFIG_STORE_PREFIX: z.string().min(1).optional(),
  UPSTASH_REDIS_REST_URL: z.url().optional(),
  UPSTASH_REDIS_REST_TOKEN: z.string().min(1).optional(),
  DYNAMODB_TABLE: z.string().min(1).default('llm-gateway-config'),
  DYNAMODB_ENDPOINT: z.url().optional(),
  AWS_REGION: z.string().min(1).default('us-east-1'),
};

/** The store-selecting part of an environment, validated. */
export type ConfigStoreEnv = z.infer<z.ZodObject<typeof configStoreEnvShape>>;

/** Cross-field check of the store settings: Upstash needs its URL and token. Use with `superRefine`. */
export function checkConfigStoreEnv(env: ConfigStoreEnv, ctx: z.RefinementCtx): void {
  if (env.CONFIG_STORE !== 'upstash') return;
  for (const name of ['UPSTASH_REDIS_REST_URL', 'UPSTASH_REDIS_REST_TOKEN'] as const) {
    if (!env[name]) ctx.addIssue({ code: 'custom', path: [name], message: 'required when CONFIG_STORE=upstash' });
  }
}

/** The store settings alone, for CLIs that need nothing else from the environment. */
export const ConfigStoreEnv = z.object(configStoreEnvShape).superRefine(checkConfigStoreEnv);

/** The config store the environment selects (`CONFIG_STORE`), with that adapter's settings. */
export function configStoreFromEnv(env: ConfigStoreEnv): ConfigStoreChoice {
  const prefix = env.CONFIG_STORE_PREFIX ? { keyPrefix: env.CONFIG_STORE_PREFIX } : {};
  switch (env.CONFIG_STORE) {
    case 'sqlite':
      return { kind: 'sqlite', path: join(env.DATA_DIR, 'config.db') };
    case 'upstash':
      if (!env.UPSTASH_REDIS_REST_URL || !env.UPSTASH_REDIS_REST_TOKEN) {
        throw new EnvError('CONFIG_STORE=upstash needs UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN');
      }
      return { kind: 'upstash', url: env.UPSTASH_REDIS_REST_URL, token: env.UPSTASH_REDIS_REST_TOKEN, ...prefix };
    case 'dynamodb':
      return {
        kind: 'dynamodb',
        table: env.DYNAMODB_TABLE,
        region: env.AWS_REGION,
        createTable: true,
        ...(env.DYNAMODB_ENDPOINT ? { endpoint: env.DYNAMODB_ENDPOINT } : {}),
        ...prefix,
      };
  }
}

/** Where the chosen store lives (a path, a URL or a table, with its key prefix), without secrets. */
export function storeLocation(choice: ConfigStoreChoice): string {
  switch (choice.kind) {
    case 'memory':
      return 'memory';
    case 'sqlite':
      return choice.path;
    case 'upstash':
      return `${choice.url}${choice.keyPrefix ? ` (prefix ${choice.keyPrefix})` : ''}`;
    case 'dynamodb':
      return `${choice.table}${choice.endpoint ? ` at ${choice.endpoint}` : ''}${choice.keyPrefix ? ` (prefix ${choice.keyPrefix})` : ''}`;
  }
}

/** A one-line description of the chosen store, without secrets. */
export function describeStore(choice: ConfigStoreChoice): string {
  const names = { memory: 'in memory', sqlite: 'SQLite at', upstash: 'Upstash Redis at', dynamodb: 'DynamoDB table' } as const;
  return choice.kind === 'memory' ? names.memory : `${names[choice.kind]} ${storeLocation(choice)}`;
}
