import xxhash from 'xxhash-wasm';

/** Number of buckets sessions are hashed into. */
export const BUCKETS = 10_000;

type Hasher = (input: string, seed?: bigint) => bigint;
let h64: Hasher | undefined;

/** Loads the WebAssembly hasher once per process (or isolate); call before `bucketOf`. */
export async function initBucketing(): Promise<void> {
  if (!h64) h64 = (await xxhash()).h64;
}

/**
 * Sticky bucket of a session for one experiment or canary: xxhash64 of `salt:sessionId`, mod 10,000.
 * The same inputs give the same bucket on every replica and runtime.
 */
export function bucketOf(salt: string, sessionId: string): number {
  if (!h64) throw new Error('bucketing not initialised: await initBucketing() first');
  return Number(h64(`${salt}:${sessionId}`) % BigInt(BUCKETS));
}
