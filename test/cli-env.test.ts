import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** Runs an entry point with extra environment variables; resolves with its exit code and output. */
function run(script: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { env: { ...process.env, ...env } });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('close', (code) => resolve({ code, output }));
  });
}

// Each case fails its environment check before doing anything (no port is opened, no benchmark runs).
describe('command-line entry points refuse a bad environment with exit code 2, naming the variable', () => {
  it.each([
    ['the simulator', 'simulator/main.ts', [], { SIM_TIME_SCALE: 'fast' }, /^simulator: invalid environment:\nSIM_TIME_SCALE: /m],
    [
      'the warehouse export',
      'stores/warehouse/cli.ts',
      [],
      { WAREHOUSE_URL: 'mysql://db/warehouse' },
      /^export: invalid environment:\nWAREHOUSE_URL: must be a postgres/m,
    ],
    ['the admin CLI', 'admin/cli.ts', ['show'], { ADMIN_URL: 'not a url' }, /^invalid environment:\nADMIN_URL: /m],
    ['npm run optimize', 'admin/optimize/cli.ts', ['--status'], { ADMIN_URL: 'not a url' }, /^invalid environment:\nADMIN_URL: /m],
    ['the benchmark', 'bench/run.ts', [], { BENCH_CONNECTIONS: '10,many' }, /^bench: invalid environment:\nBENCH_CONNECTIONS\.1: /m],
  ])('%s', async (_name, script, args, env, message) => {
    const { code, output } = await run(script, args as string[], env);
    expect(output).toMatch(message);
    expect(code).toBe(2);
  });
});
