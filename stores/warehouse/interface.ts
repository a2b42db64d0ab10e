/** Runs one SQL statement with positional parameters (`$1`, `$2`, ...) and returns its rows. */
export interface SqlRunner {
  query<R extends object = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
}

/**
 * A connection to the warehouse (PostgreSQL, or Redshift through its Postgres wire protocol), scoped to one
 * schema. Statements run one after another on a single session, so temporary tables and locks carry over.
 */
export interface Warehouse extends SqlRunner {
  /** The schema every unqualified table name resolves to. */
  readonly schema: string;
  /** Runs `fn` inside BEGIN/COMMIT; rolls back and rethrows when it throws. */
  transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** An expected failure (unreachable server, rejected statement) returned as a value. */
export interface WarehouseFailure {
  ok: false;
  error: string;
}

/** Success with a value, or an expected failure. */
export type WarehouseResult<T> = ({ ok: true } & T) | WarehouseFailure;

/** Message of anything thrown, for failure values. */
export function errorMessage(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length) return error.errors.map(errorMessage).join('; ');
  return error instanceof Error ? error.message || error.name : String(error);
}
