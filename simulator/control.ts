import type { SignatureStatus } from './auth.ts';

/** The four Bedrock Runtime operations the simulator serves, and Chat Completions (plain and streamed). */
export type Operation =
  | 'converse'
  | 'converse-stream'
  | 'invoke'
  | 'invoke-with-response-stream'
  | 'chat-completions'
  | 'chat-completions-stream';

/** Faults a test can inject. */
export type FaultKind = 'throttle' | 'error' | 'timeout' | 'unavailable' | 'stream-error' | 'delay';

/** Event-stream exception members a `stream-error` fault can send. */
export type StreamException =
  | 'internalServerException'
  | 'throttlingException'
  | 'modelStreamErrorException'
  | 'serviceUnavailableException'
  | 'validationException'
  | 'modelTimeoutException';

/** An injected fault. */
export interface FaultSpec {
  kind: FaultKind;
  /** How many of the next matching calls get it; unlimited when omitted. */
  count?: number;
  /** `delay`: real ms to hold the response headers before answering normally. */
  delayMs?: number;
  /** `stream-error`: the exception frame to send (default `internalServerException`). */
  exception?: StreamException;
  /** `stream-error`: content deltas sent before the exception (default 2). */
  afterDeltas?: number;
}

/** One call as the simulator saw it. Times are epoch ms with sub-ms precision. */
export interface CallRecord {
  modelId: string;
  operation: Operation;
  intent: string;
  startedAt: number;
  /** When the first content was sent (streams) or the whole answer (non-streaming); unset until then. */
  firstByteAt?: number;
  /** When the response (or stream) ended; unset until then. */
  finishedAt?: number;
  /** True when the client went away before the stream's last frame (the stream was cancelled). */
  cancelled?: boolean;
  inputTokens: number;
  outputTokens: number;
  /** HTTP status; 200 for a stream later broken by an exception frame (see `fault`). */
  status: number;
  signature: SignatureStatus;
  /** The fault this call got (injected or drawn from the profile's rates), or null. */
  fault: FaultKind | null;
  /** Declared quality of the answer, when one was produced. */
  quality?: number;
  /** Prompt-cache reads and writes of a request with cache points (`inputTokens` excludes them). */
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
}

/** Test and demo handle on a running simulator. */
export interface SimulatorControl {
  /** Every call, in arrival order (oldest dropped beyond the log limit). */
  readonly log: CallRecord[];
  /** The logged calls of one model (all calls when omitted). */
  calls(modelId?: string): CallRecord[];
  /** Injects a fault for one model id or `'*'` (any model); null clears it. A model's own fault wins over `'*'`. */
  setFault(modelId: string, fault: FaultSpec | null): void;
  clearFaults(): void;
  /** The raw body of the last call (of one model, when given), as it arrived; kept for the last call of each model only. */
  lastBody(modelId?: string): string | undefined;
  /** Clears log, faults, per-model call counters and the prompt cache: the next calls replay the seed from the start. */
  reset(): void;
}

/** The control plus what the request path needs from it. */
export interface ControlState extends SimulatorControl {
  /** This call's index among the calls of a model, counting from 0. */
  nextIndex(modelId: string): number;
  /** Consumes one use of the fault that applies to a model, if any. */
  takeFault(modelId: string): FaultSpec | null;
  /** Keeps a call's raw body as the model's last one. */
  keepBody(modelId: string, body: string): void;
  /** Appends a record and returns it for later updates. */
  record(entry: CallRecord): CallRecord;
}

interface ActiveFault {
  spec: FaultSpec;
  remaining: number;
}

/** Creates the control state of one simulator. */
export function createControl(maxLog = 100_000, onReset?: () => void): ControlState {
  const log: CallRecord[] = [];
  const faults = new Map<string, ActiveFault>();
  const counters = new Map<string, number>();
  const bodies = new Map<string, string>();
  let lastBody: string | undefined;
  function take(key: string): FaultSpec | null {
    const active = faults.get(key);
    if (!active) return null;
    if (--active.remaining <= 0) faults.delete(key);
    return active.spec;
  }
  return {
    log,
    calls: (modelId) => (modelId === undefined ? log.slice() : log.filter((r) => r.modelId === modelId)),
    setFault(modelId, fault) {
      if (fault === null) faults.delete(modelId);
      else faults.set(modelId, { spec: { ...fault }, remaining: fault.count ?? Infinity });
    },
    clearFaults: () => faults.clear(),
    lastBody: (modelId) => (modelId === undefined ? lastBody : bodies.get(modelId)),
    keepBody(modelId, body) {
      lastBody = body;
      if (bodies.size < 1_000 || bodies.has(modelId)) bodies.set(modelId, body);
    },
    reset() {
      log.length = 0;
      bodies.clear();
      lastBody = undefined;
      faults.clear();
      counters.clear();
      onReset?.();
    },
    nextIndex(modelId) {
      const index = counters.get(modelId) ?? 0;
      counters.set(modelId, index + 1);
      return index;
    },
    takeFault: (modelId) => (faults.has(modelId) ? take(modelId) : take('*')),
    record(entry) {
      log.push(entry);
      if (log.length > maxLog) log.splice(0, log.length - Math.floor(maxLog / 2));
      return entry;
    },
  };
}

/** The record of a call as it starts: nothing answered, nothing checked yet. */
export function newCallRecord(modelId: string, operation: Operation, headers: Headers, startedAt: number): CallRecord {
  return {
    modelId,
    operation,
    intent: headers.get('x-intent') || 'other',
    startedAt,
    inputTokens: 0,
    outputTokens: 0,
    status: 200,
    signature: 'unchecked',
    fault: null,
  };
}
