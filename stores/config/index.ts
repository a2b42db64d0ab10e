import { join } from 'node:path';
import { dynamoConfigStore, type DynamoConfigStoreOptions } from './dynamodb.ts';
import type { ConfigStoreWithRecords } from './interface.ts';
import { memoryConfigStore } from './memory.ts';
import { sqliteConfigStore, type SqliteConfigStoreOptions } from './sqlite.ts';
import { upstashConfigStore, type UpstashConfigStoreOptions } from './upstash.ts';

/** Which config store to open, with that adapter's own options. */
export type ConfigStoreChoice =
  | { kind: 'memory' }
  | ({ kind: 'sqlite' } & SqliteConfigStoreOptions)
  | ({ kind: 'upstash' } & UpstashConfigStoreOptions)
  | ({ kind: 'dynamodb' } & DynamoConfigStoreOptions);

/** Opens the chosen config store. */
export function openConfigStore(choice: ConfigStoreChoice): ConfigStoreWithRecords {
  switch (choice.kind) {
    case 'memory':
      return memoryConfigStore();
    case 'sqlite':
      return sqliteConfigStore(choice);
    case 'upstash':
      return upstashConfigStore(choice);
    case 'dynamodb':
      return dynamoConfigStore(choice);
  }
}

/** The embedded default: `config.db` under the data directory. */
export function defaultConfigStore(dataDir: string): ConfigStoreChoice {
  return { kind: 'sqlite', path: join(dataDir, 'config.db') };
}

export type {
  ConfigStore,
  ConfigStoreWithRecords,
  ControllerRecords,
  StoreError,
  StoreResult,
  StoredDocument,
  AuditInput,
} from './interface.ts';
