import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A checkout of another revision of this repository, for measuring the gateway before a change. */
export interface BaselineCheckout {
  /** The revision as given, and the commit it named. */
  ref: string;
  commit: string;
  /** Root of the checkout: the baseline gateway's processes start there. */
  dir: string;
  remove(): void;
}

/**
 * Checks `ref` out as a detached git worktree in a temporary directory that shares this checkout's
 * node_modules (same dependencies, so only the gateway's own code differs). Throws a message naming the ref
 * when git cannot resolve it.
 */
export function checkOutBaseline(repoRoot: string, ref: string): BaselineCheckout {
  const git = (...args: string[]): string =>
    execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  let commit: string;
  try {
    commit = git('rev-parse', '--verify', `${ref}^{commit}`);
  } catch {
    throw new Error(`BENCH_BASELINE_REF: git cannot resolve "${ref}" to a commit in ${repoRoot}`);
  }
  const dir = join(mkdtempSync(join(tmpdir(), 'bench-baseline-')), 'checkout');
  git('worktree', 'add', '--detach', dir, commit);
  const modules = join(repoRoot, 'node_modules');
  if (existsSync(modules)) symlinkSync(modules, join(dir, 'node_modules'), 'dir');
  return {
    ref,
    commit,
    dir,
    remove() {
      try {
        git('worktree', 'remove', '--force', dir);
      } finally {
        rmSync(join(dir, '..'), { recursive: true, force: true });
      }
    },
  };
}
