/** What a request registers: an `AbortController`, or a `Cancellation` (lib/cancellation.ts). */
export interface Abortable {
  abort(reason?: unknown): void;
}

/**
 * Shutdown state of one gateway process: draining (refuse new requests) and then cutting (abort the
 * calls still in flight once the grace period is over). Requests register their cancellation while
 * they run.
 */
export class Lifecycle {
  private readonly inFlight = new Set<Abortable>();
  private drainingSince: number | null = null;
  private cut = false;

  /** Registers a request's controller; the returned function forgets it. */
  track(controller: Abortable): () => void {
    this.inFlight.add(controller);
    return () => this.inFlight.delete(controller);
  }

  get active(): number {
    return this.inFlight.size;
  }

  get draining(): boolean {
    return this.drainingSince !== null;
  }

  /** True once in-flight calls were cut by the shutdown. */
  get cutting(): boolean {
    return this.cut;
  }

  startDraining(): void {
    this.drainingSince ??= Date.now();
  }

  /** Aborts every call still in flight; they are recorded as `shutdown_abort`. */
  cutInFlight(): number {
    this.cut = true;
    const n = this.inFlight.size;
    for (const controller of this.inFlight) controller.abort(new Error('gateway shutting down'));
    return n;
  }

  /** Resolves when nothing is in flight or `timeoutMs` has passed; true when everything finished. */
  async settled(timeoutMs: number, pollMs = 10): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.inFlight.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, pollMs));
    return this.inFlight.size === 0;
  }
}
