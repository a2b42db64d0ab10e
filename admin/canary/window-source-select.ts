import type { DynamoObservationStore } from '../../stores/observations/dynamodb.ts';
import type { ObservationLogChoice } from '../../stores/observations/log-env.ts';
import { dynamoWindowSource } from './window-source-dynamodb.ts';
import { postgresWindowSource } from './window-source-postgres.ts';
import { sqliteThreadWindowSource } from './window-source-sqlite-thread.ts';
import type { WindowSource } from './window-source.ts';

/** What a window source factory may need besides the log's own settings. */
export interface WindowSourceContext {
  /** This replica's SQLite observations file (`DATA_DIR/gateway.db`). */
  observationsPath: string;
  /** The shared DynamoDB log the gateway writes to, when `OBSERVATION_LOG=dynamodb`. */
  dynamoLog?: DynamoObservationStore;
}

/** One factory per observation log kind that this build can read windows from. */
export type WindowSourceFactories = {
  [K in ObservationLogChoice['kind']]?: (log: Extract<ObservationLogChoice, { kind: K }>, context: WindowSourceContext) => WindowSource;
};

/**
 * The window sources of this build: SQLite (aggregated in a worker thread over the replica's own file), a shared
 * PostgreSQL log (aggregated in SQL) and a shared DynamoDB log (paged Query of the canary's partition, running sums).
 */
export const WINDOW_SOURCE_FACTORIES: WindowSourceFactories = {
  sqlite: (_log, context) => sqliteThreadWindowSource(context.observationsPath),
  postgres: (log) => postgresWindowSource({ url: log.url, schema: log.schema }),
  dynamodb: (_log, context) => {
    if (!context.dynamoLog) throw new Error('OBSERVATION_LOG=dynamodb needs the DynamoDB log to read canary windows from');
    return dynamoWindowSource(context.dynamoLog);
  },
};

/**
 * The canary window source for the configured observation log, from `factories`; a log with no factory is a
 * value naming the log and the kinds available, so the process refuses to start rather than judge canaries
 * on another source's data.
 */
export function selectWindowSource(
  log: ObservationLogChoice,
  context: WindowSourceContext,
  factories: WindowSourceFactories = WINDOW_SOURCE_FACTORIES,
): { ok: true; source: WindowSource } | { ok: false; message: string } {
  const factory = factories[log.kind] as ((log: ObservationLogChoice, context: WindowSourceContext) => WindowSource) | undefined;
  if (!factory) {
    const available = Object.keys(factories).join(', ') || 'none';
    return { ok: false, message: `no canary window source for OBSERVATION_LOG=${log.kind} (available: ${available})` };
  }
  return { ok: true, source: factory(log, context) };
}
