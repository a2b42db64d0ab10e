import { join } from 'node:path';
import { parseEvalArgs, type EvalArgs } from '../../analysis/eval/args.ts';

/**
 * `npm run eval` arguments for a test: `argv`, then the results store (`gateway.db`) and the reports directory
 * (`outDir`) inside `dir`. Throws on a usage error, so a test never runs on half-parsed arguments.
 */
export function evalArgs(dir: string, argv: readonly string[], outDir = 'out'): EvalArgs {
  const parsed = parseEvalArgs([...argv, '--store', join(dir, 'gateway.db'), '--out', join(dir, outDir)]);
  if (typeof parsed === 'string' || 'help' in parsed) throw new Error(String(parsed));
  return parsed;
}
