/**
 * One rule for tests that need an outside service (Redis, a redis-server binary, PostgreSQL, Chromium):
 * when the service is absent the test is skipped through the runner (`describe.skipIf(reason !== null)`),
 * with the reason and the way to get the service printed; under `CI=true` its absence fails the run instead.
 *
 * Call the probe at the top of the test file (top-level `await`), so the runner knows before collecting
 * the tests whether to skip them.
 */

/** What a probe found: null when the service is there, otherwise what is missing. */
export type Problem = string | null;

/** Whether this run is CI, where a missing service is a failure, never a skip. */
export function isCi(): boolean {
  return process.env.CI === 'true';
}

/**
 * Turns a probe's finding into a skip reason: null when the service is there; otherwise prints
 * `skipping <tests>: <problem>; <how>` and returns that reason, or throws it under `CI=true`.
 * An `optional` tool (one the design says is used only where installed) is skipped under CI too.
 */
export function serviceMissing(tests: string, problem: Problem, how: string, options: { optional?: boolean } = {}): string | null {
  if (problem === null) return null;
  const reason = `${problem}; ${how}`;
  if (isCi() && !options.optional) {
    throw new Error(`${tests} cannot run: ${reason} (CI=true: a missing service fails the run instead of skipping)`);
  }
  console.warn(`skipping ${tests}: ${reason}`);
  return reason;
}
