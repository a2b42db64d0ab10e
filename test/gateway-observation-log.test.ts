import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { tempDir } from './support/gateway.ts';

/** Starts the gateway's entry point with `env`; resolves with its exit code and output once it ends. */
function start(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'gateway/main.ts'], {
      env: { ...process.env, PORT: '0', DATA_DIR: tempDir('gw-log-env-'), ...env },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('the gateway refuses a malformed observation log before it listens', () => {
  it('names a malformed OBSERVATION_LOG', { timeout: 60_000 }, async () => {
    const { code, output } = await start({ OBSERVATION_LOG: 'mysql://db/obs' });
    expect(output).toMatch(
      /gateway failed to start: invalid environment:\nOBSERVATION_LOG: must be sqlite, dynamodb or a postgres:\/\/ URL/,
    );
    expect(output).not.toContain('listening');
    expect(code).toBe(1);
  });
});
