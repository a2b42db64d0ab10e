import type { Observation } from '../../schema/observation.ts';

/**
 * Where finished requests go. `record` must not throw or block the request path: an adapter that
 * cannot keep an observation counts it as dropped.
 */
export interface ObservationSink {
  record(observation: Observation): void;
  /** Writes out whatever is buffered; resolves when it is stored (or spilled, or counted as dropped). */
  flush(): Promise<void>;
}
