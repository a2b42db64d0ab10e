import { join } from 'node:path';
import type { ConfigStoreChoice } from '../../stores/config/index.ts';
import type { GatewayEnvSettings } from '../env.ts';

/** The config store the environment selects (`CONFIG_STORE`), with that adapter's settings. */
export function configStoreFromEnv(env: GatewayEnvSettings): ConfigStoreChoice {
  switch (env.CONFIG_STORE) {
    case 'sqlite':
      return { kind: 'sqlite', path: join(env.DATA_DIR, 'config.db') };
    case 'upstash':
      if (!env.UPSTASH_REDIS_REST_URL || !env.UPSTASH_REDIS_REST_TOKEN) {
        throw new Error('CONFIG_STORE=upstash needs UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN');
      }
      return { kind: 'upstash', url: env.UPSTASH_REDIS_REST_URL, token: env.UPSTASH_REDIS_REST_TOKEN, ...(env.CONFIG_STORE_PREFIX ? { keyPrefix: env.CONFIG_STORE_PREFIX } : {}) };
    case 'dynamodb':
      return {
        kind: 'dynamodb',
        table: env.DYNAMODB_TABLE,
        region: env.AWS_REGION,
        createTable: true,
        ...(env.DYNAMODB_ENDPOINT ? { endpoint: env.DYNAMODB_ENDPOINT } : {}),
        ...(env.CONFIG_STORE_PREFIX ? { keyPrefix: env.CONFIG_STORE_PREFIX } : {}),
      };
  }
}

/** A one-line description of the chosen store, without secrets. */
export function describeStore(choice: ConfigStoreChoice): string {
  switch (choice.kind) {
    case 'memory':
      return 'in memory';
    case 'sqlite':
      return `SQLite at ${choice.path}`;
    case 'upstash':
      return `Upstash Redis at ${choice.url}`;
    case 'dynamodb':
      return `DynamoDB table ${choice.table}${choice.endpoint ? ` at ${choice.endpoint}` : ''}`;
  }
}
