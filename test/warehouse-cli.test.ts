import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../stores/sqlite/database.ts';
import { writeSimulatedRows } from './analysis-rows.ts';
import { tempDir } from './support/gateway.ts';
import { connectTest, PG_URL, postgresMissing, testSchema } from './warehouse-support.ts';

const missing = await postgresMissing();
let dir: string;
const s = testSchema('wh_cli');

function run(script: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { env: { ...process.env, WAREHOUSE_URL: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(() => {
  dir = tempDir('warehouse-cli-');
  const db = openDatabase(join(dir, 'gateway.db'));
  writeSimulatedRows(db, { sessions: 300, requestsPerSession: 2, seed: 31, configs: () => ['sonnet-35-v2', 'haiku-35'] });
  db.close();
});

afterAll(async () => {
  if (!missing) await s.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('npm run export', () => {
  it('rejects bad arguments with exit code 2 and the usage', async () => {
    const noTarget = await run('stores/warehouse/cli.ts', ['--from', join(dir, 'gateway.db')]);
    expect(noTarget.code).toBe(2);
    expect(noTarget.stderr).toMatch(/--to is required/);
    expect(noTarget.stderr).toMatch(/usage: npm run export/);
    const badBatch = await run('stores/warehouse/cli.ts', ['--from', join(dir, 'gateway.db'), '--to', 'postgres://x/y', '--batch', '0']);
    expect(badBatch.code).toBe(2);
    expect(badBatch.stderr).toMatch(/--batch must be at least 1/);
    const badReplica = await run('stores/warehouse/cli.ts', [
      '--from',
      join(dir, 'gateway.db'),
      '--to',
      'postgres://x/y',
      '--replica',
      'a b',
    ]);
    expect(badReplica.code).toBe(2);
    expect(badReplica.stderr).toMatch(/--replica: printable ASCII without spaces/);
    const noStore = await run('stores/warehouse/cli.ts', ['--from', join(dir, 'missing.db'), '--to', 'postgres://x/y']);
    expect(noStore.code).toBe(2);
    expect(noStore.stderr).toMatch(/no embedded store/);
  });

  it('exits 1 with a clear message when the warehouse cannot be reached', async () => {
    const down = await run('stores/warehouse/cli.ts', [
      '--from',
      join(dir, 'gateway.db'),
      '--to',
      'postgres://nobody:secret@127.0.0.1:9/none',
    ]);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/export failed: cannot use warehouse postgres:\/\/nobody:\*\*\*@127\.0\.0\.1:9\/none/);
    expect(down.stderr).not.toContain('secret');
  });

  it.skipIf(missing !== null)('copies the store, then finds nothing new, and the analysis CLI reads the warehouse', async () => {
    const args = ['--from', join(dir, 'gateway.db'), '--to', PG_URL, '--schema', s.schema, '--batch', '250'];
    const first = await run('stores/warehouse/cli.ts', args);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    // No --replica and no replica id in the store's rows: this host's name.
    expect(first.stdout).toContain(`as replica ${hostname()}`);
    expect(first.stdout).toMatch(/observations: 600 rows copied in 3 batches, high-water mark 600/);
    expect(first.stdout).toMatch(/eval_results: (not in the embedded store, skipped|0 rows copied)/);
    const second = await run('stores/warehouse/cli.ts', args);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/observations: 0 rows copied in 0 batches, high-water mark 600/);
    const analysis = await run('analysis/cli.ts', ['--store', PG_URL, '--schema', s.schema, '--out', join(dir, 'reports')]);
    expect(analysis.code).toBe(0);
    expect(analysis.stdout).toMatch(/results written to the warehouse as run [0-9a-f-]{36}/);
    const wh = await connectTest(s.schema);
    const runs = await wh.query<{ live_requests: number }>('SELECT live_requests FROM analysis_runs');
    await wh.close();
    expect(runs).toEqual([{ live_requests: 600 }]);
  });
});
