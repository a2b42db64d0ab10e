/** How a source (SQLite) value becomes a warehouse value. */
export type ColumnKind = 'text' | 'bigint' | 'integer' | 'double' | 'boolean';

/** One exported column: the same name in the embedded store and in the warehouse. */
export interface ExportColumn {
  name: string;
  kind: ColumnKind;
}

/**
 * A table copied from the embedded store, keyed in the warehouse by (`replica_id`, `seq`): the export's replica
 * id (for observations, the row's own replica id when it has one) and the store's sequence number.
 */
export interface ExportTable {
  name: 'observations' | 'feedback' | 'eval_results';
  columns: readonly ExportColumn[];
  /**
   * Columns that identify a row apart from `seq`, for a table whose rows the embedded store replaces: a replaced
   * row comes back with a new `seq`, and the export deletes the warehouse's older row with the same values.
   */
  replaceKey?: readonly string[];
  /** Columns that name a row in any store (unique there), to recognise a store's rows in the warehouse. */
  identity: readonly string[];
  /** Copied only when the embedded store has it (it appears with the offline evaluator's migration). */
  optional: boolean;
}

const cols = (spec: Record<string, ColumnKind>): ExportColumn[] => Object.entries(spec).map(([name, kind]) => ({ name, kind }));

/** The tables `npm run export` copies, in order. */
export const EXPORT_TABLES: readonly ExportTable[] = [
  {
    name: 'observations',
    optional: false,
    identity: ['request_id'],
    columns: cols({
      seq: 'bigint',
      request_id: 'text',
      time: 'bigint',
      route: 'text',
      intent: 'text',
      session_id: 'text',
      traffic: 'text',
      experiment_id: 'text',
      canary_id: 'text',
      arm: 'text',
      config_id: 'text',
      upstream_model: 'text',
      operation: 'text',
      streamed: 'boolean',
      status: 'integer',
      error_code: 'text',
      input_tokens: 'integer',
      output_tokens: 'integer',
      cost_usd: 'double',
      ttft_ms: 'double',
      latency_ms: 'double',
      overhead_ms: 'double',
      config_version: 'bigint',
      expected_share: 'double',
      replica_id: 'text',
      cache_read_input_tokens: 'integer',
      cache_write_input_tokens: 'integer',
      stop_reason: 'text',
      attempts: 'integer',
      served_config_id: 'text',
      shadow_of: 'text',
      failed_attempts: 'text',
    }),
  },
  {
    name: 'feedback',
    optional: false,
    identity: ['event_id'],
    columns: cols({
      seq: 'bigint',
      event_id: 'text',
      received_at: 'bigint',
      scope: 'text',
      key: 'text',
      metric: 'text',
      value: 'double',
      idempotency_key: 'text',
      event_time: 'bigint',
      replica_id: 'text',
    }),
  },
  {
    name: 'eval_results',
    optional: true,
    // A rerun replaces a (run, case, configuration) result by a row with a new seq (analysis/eval/store.ts).
    replaceKey: ['run_id', 'test_id', 'config_id'],
    identity: ['run_id', 'test_id', 'config_id'],
    columns: cols({
      seq: 'bigint',
      run_id: 'text',
      dataset: 'text',
      test_id: 'text',
      intent: 'text',
      config_id: 'text',
      request_id: 'text',
      status: 'text',
      error_code: 'text',
      quality: 'double',
      passed: 'boolean',
      relevance: 'double',
      factual_accuracy: 'double',
      completeness: 'double',
      format: 'double',
      policy_safety: 'double',
      judge: 'double',
      input_tokens: 'integer',
      output_tokens: 'integer',
      cost_usd: 'double',
      latency_ms: 'double',
      ttft_ms: 'double',
      time: 'bigint',
      replica_id: 'text',
    }),
  },
];

/** Converts one SQLite value to what the warehouse column takes (SQLite keeps booleans as 0/1). */
export function toWarehouseValue(kind: ColumnKind, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (kind === 'boolean') return value !== 0 && value !== '0' && value !== false;
  if (typeof value === 'bigint') return value.toString();
  return value;
}
