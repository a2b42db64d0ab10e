import type { ControllerRecords } from '../../stores/config/interface.ts';

/** Holds a named lease for one replica, renewing it on every call. */
export interface LeaseKeeper {
  /** Takes or renews the lease; false while another replica holds it (or the store cannot be reached). */
  acquire(): Promise<boolean>;
  /** Whether the last call held the lease. */
  held(): boolean;
  /** Gives the lease up so another replica can take over at once. */
  release(): Promise<void>;
}

/** Options of a lease keeper. */
export interface LeaseOptions {
  name: string;
  holder: string;
  ttlMs: number;
  now: () => number;
  log: (line: string) => void;
}

/** A lease keeper over a store's atomic lease primitive. */
export function leaseKeeper(store: ControllerRecords, options: LeaseOptions): LeaseKeeper {
  let holding = false;
  let reported: boolean | null = null;
  return {
    async acquire() {
      const result = await store.acquireLease(options.name, options.holder, options.ttlMs, options.now());
      const now = result.ok && result.value.held;
      if (!result.ok) options.log(`canary controller ${options.holder}: lease check failed: ${result.error.message}`);
      else if (now !== reported) {
        options.log(`canary controller ${options.holder}: ${now ? 'took the lease' : `lease held by ${result.value.holder}`}`);
        reported = now;
      }
      holding = now;
      return holding;
    },
    held: () => holding,
    async release() {
      if (holding) await store.releaseLease(options.name, options.holder);
      holding = false;
      reported = null;
    },
  };
}
