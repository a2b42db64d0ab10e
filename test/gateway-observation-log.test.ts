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

describe('the gateway refuses an observation log it cannot judge canaries on, before it listens', () => {
  it('names a malformed OBSERVATION_LOG', { timeout: 60_000 }, async () => {
    const { code, output } = await start({ OBSERVATION_LOG: 'mysql://db/obs' });
    expect(output).toMatch(
      /gateway failed to start: invalid environment:\nOBSERVATION_LOG: must be sqlite, dynamodb or a postgres:\/\/ URL/,
    );
    expect(output).not.toContain('listening');
    expect(code).toBe(1);
  });

  it('names a log without a window source while the canary controller is on', { timeout: 60_000 }, async () => {
    const { code, output } = await start({ OBSERVATION_LOG: 'dynamodb' });
    expect(output).toContain(
      'gateway failed to start: canary controller: no canary window source for OBSERVATION_LOG=dynamodb (available: sqlite, postgres)',
    );
    expect(output).not.toContain('listening');
    expect(code).toBe(1);
  });
});
