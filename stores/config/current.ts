import { existsSync } from 'node:fs';
import { ConfigDocument, type AuditEntry } from '../../schema/admin.ts';
import { formatIssues, type GatewayConfig } from '../../schema/config.ts';
import { storeLocation } from './env.ts';
import { loadGatewayConfig } from './file.ts';
import { openConfigStore, type ConfigStoreChoice } from './index.ts';
import type { ConfigStore } from './interface.ts';

/**
 * Where a configuration was read: the config store (with its version) or a file, and why a file; `description`
 * says it in one line for logs, reports and the dashboard.
 */
export type ConfigOrigin = { description: string } & (
  | { kind: 'store'; store: ConfigStoreChoice['kind']; location: string; version: number }
  | { kind: 'file'; path: string; reason: 'override' | 'store-empty'; note: string }
);

/** A configuration with where it came from. */
export interface LoadedConfig {
  config: GatewayConfig;
  origin: ConfigOrigin;
  /** The store's audit log, oldest first (the split history of older observations); empty for a file. */
  audit: AuditEntry[];
}

/** Where to read the configuration: an explicit file, or the store with the file served while it is empty. */
export type ConfigChoice = { file: string } | { store: ConfigStoreChoice; fallbackFile: string };

/** Raised when the chosen store cannot be read or holds an invalid document. */
export class ConfigSourceError extends Error {
  override name = 'ConfigSourceError';
}

/** A store that was never written: a SQLite file that does not exist yet is not created by a reader. */
function neverStarted(choice: ConfigStoreChoice): boolean {
  return choice.kind === 'sqlite' && choice.path !== ':memory:' && !existsSync(choice.path);
}

async function readStore(choice: ConfigStoreChoice): Promise<{ version: number; config: GatewayConfig; audit: AuditEntry[] } | null> {
  if (neverStarted(choice)) return null;
  // A reader never creates a DynamoDB table: a missing one is reported as an unreachable store.
  const store = openConfigStore(choice.kind === 'dynamodb' ? { ...choice, createTable: false } : choice);
  try {
    const read = await store.read();
    const where = `${choice.kind} config store at ${storeLocation(choice)}`;
    if (!read.ok) throw new ConfigSourceError(`${where} cannot be read (${read.error.message}); give --config FILE to use a file instead`);
    if (!read.value) return null;
    const parsed = ConfigDocument.safeParse(read.value.document);
    if (!parsed.success) throw new ConfigSourceError(`${where}, version ${read.value.version}, is invalid:\n${formatIssues(parsed.error)}`);
    return { version: read.value.version, config: parsed.data.config, audit: await readAuditLog(store) };
  } finally {
    await store.close();
  }
}

/**
 * Reads the routing configuration the way the gateway serves it: from the config store once a gateway has
 * seeded it (the store is the source of truth after the first start), from `fallbackFile` while the store is
 * still empty (said in the origin's note), or from an explicit file. An unreachable store is an error, never
 * a silent fall back to a file that may be out of date.
 */
export async function loadCurrentConfig(choice: ConfigChoice): Promise<LoadedConfig> {
  if ('file' in choice) {
    const origin = { kind: 'file', path: choice.file, reason: 'override', note: 'given with --config' } as const;
    return { config: loadGatewayConfig(choice.file), origin: { ...origin, description: `file ${choice.file} (--config)` }, audit: [] };
  }
  const where = `${choice.store.kind} config store at ${storeLocation(choice.store)}`;
  const stored = await readStore(choice.store);
  if (stored) {
    const origin = { kind: 'store', store: choice.store.kind, location: storeLocation(choice.store), version: stored.version } as const;
    return { config: stored.config, origin: { ...origin, description: `${where}, version ${stored.version}` }, audit: stored.audit };
  }
  const note = `the ${where} is empty (no gateway has started on it yet): used the configuration file ${choice.fallbackFile} instead`;
  const origin = { kind: 'file', path: choice.fallbackFile, reason: 'store-empty', note, description: note } as const;
  return { config: loadGatewayConfig(choice.fallbackFile), origin, audit: [] };
}

/** Every entry of the config store's audit log, oldest first, read page by page. */
export async function readAuditLog(store: ConfigStore): Promise<AuditEntry[]> {
  const entries: AuditEntry[] = [];
  for (;;) {
    const page = await store.audit({ after: entries[entries.length - 1]?.version ?? 0, limit: 1000 });
    if (!page.ok) throw new Error(`cannot read the config store's audit log: ${page.error.message}`);
    entries.push(...page.value);
    if (page.value.length < 1000) return entries;
  }
}
