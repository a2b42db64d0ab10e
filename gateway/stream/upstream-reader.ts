import type { HttpResponse } from '../upstreams/http/interface.ts';
import type { CutShort } from './ending.ts';
import { MalformedUpstream, type StreamContext } from './interface.ts';

/**
 * Reads an upstream body chunk by chunk under the idle deadline: one timer per answer checks how long the
 * current read has been waiting (no timer is set or cleared per chunk), and cancels the body once that passes
 * `idleTimeoutMs`. Time spent while the client is slow to pull does not count: only waits for the upstream do.
 */
export class UpstreamReader {
  private waitingSince = -1;
  private timedOut = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly response: HttpResponse,
    private readonly call: StreamContext,
  ) {
    this.arm(call.idleTimeoutMs);
  }

  /**
   * Starts reading the next chunk (null at the end). The upstream's own promise is returned, with no wrapper
   * per chunk; call `received` once it resolves.
   */
  read(): Promise<Uint8Array | null> {
    this.waitingSince = this.call.now();
    return this.response.read();
  }

  /** A read resolved; throws when the idle deadline had cancelled the body (a cancelled body may end quietly). */
  received(): void {
    if (this.timedOut) throw new Error('idle deadline passed');
    this.waitingSince = -1;
  }

  /** Classifies what ended a read or an adapter step that threw: exactly one ending, in this order. */
  failure(err: unknown): CutShort {
    if (this.timedOut) return 'upstream_idle_timeout';
    const cut = this.call.cutBy();
    if (this.call.signal.aborted || cut.code === 'shutdown_abort') return cut.code;
    if (err instanceof MalformedUpstream) return 'upstream_malformed';
    // A read still waiting when the error came is the one that failed: the connection broke.
    if (this.waitingSince >= 0) return 'upstream_reset';
    const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
    if (this.call.logger) this.call.logger.error('stream adapter failed', { requestId: this.call.meter.requestId, error });
    else console.error('stream adapter failed:', err);
    return 'internal';
  }

  /** Stops the deadline; with `cancel`, also releases the upstream body (it was not read to its end). */
  stop(cancel: boolean): void {
    clearTimeout(this.timer);
    if (cancel) this.response.cancel();
  }

  private arm(ms: number): void {
    // A static method, not a closure per reader: the timer takes the reader as its argument.
    this.timer = setTimeout(UpstreamReader.checkIdle, ms, this);
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** The idle deadline's timer: cancels the body when a read has waited the whole deadline, else sets itself again. */
  private static checkIdle(reader: UpstreamReader): void {
    const idle = reader.call.idleTimeoutMs;
    const waited = reader.waitingSince < 0 ? 0 : reader.call.now() - reader.waitingSince;
    if (waited < idle) {
      reader.arm(idle - waited);
      return;
    }
    reader.timedOut = true;
    reader.response.cancel();
  }
}
