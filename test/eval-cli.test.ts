import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { seedStore } from '../admin/mutate.ts';
import { loadGatewayConfig } from '../stores/config/file.ts';
import { sqliteConfigStore } from '../stores/config/sqlite.ts';

/** Runs the CLI with its config store in a fresh data directory (never the developer's `./data`). */
function evalCli(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const dataDir = mkdtempSync(join(tmpdir(), 'eval-cli-data-'));
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'analysis/eval/cli.ts', ...args], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, DATA_DIR: dataDir, ...env },
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('npm run eval', () => {
  it('exits 2 naming the option on bad arguments', () => {
    const cases: [string[], RegExp][] = [
      [['--configs', 'sonnet-35-v2'], /--configs needs at least two/],
      [['--configs', 'sonnet-35-v2,nope'], /--configs: unknown configuration\(s\) nope/],
    ];
    for (const [args, message] of cases) {
      const run = evalCli(args);
      expect(run.status, args.join(' ')).toBe(2);
      expect(run.stderr, args.join(' ')).toMatch(message);
    }
  }, 60_000);

  it('exits 2 naming the variable on a bad environment', () => {
    const run = evalCli(['--configs', 'sonnet-35-v2,haiku-35'], { CONFIG_STORE: 'mongo' });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/invalid environment:\nCONFIG_STORE: /);
  }, 30_000);

  it('takes the configuration ids from the config store the gateway seeded, not from the file', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'eval-cli-store-'));
    const shipped = loadGatewayConfig('config/mangaassist.json');
    const added = { ...shipped.configs.find((c) => c.id === 'haiku-35')!, id: 'haiku-35-added' };
    const store = sqliteConfigStore({ path: join(dataDir, 'config.db') });
    expect((await seedStore(store, { ...shipped, configs: [...shipped.configs, added] }, Date.now)).ok).toBe(true);
    await store.close();
    const run = evalCli(['--configs', 'haiku-35-added,nope'], { DATA_DIR: dataDir });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/--configs: unknown configuration\(s\) nope; known: .*haiku-35-added/);
    const withFile = evalCli(['--configs', 'haiku-35-added,haiku-35', '--config', 'config/mangaassist.json'], { DATA_DIR: dataDir });
    expect(withFile.stderr).toMatch(/unknown configuration\(s\) haiku-35-added/);
  }, 60_000);

  it('runs on an embedded gateway with progress lines in a pipe, writes both reports, and resumes on a rerun saying so', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eval-cli-'));
    const args = [
      '--configs',
      'sonnet-35-v2,haiku-35',
      '--intents',
      'chitchat,faq',
      '--limit-per-intent',
      '2',
      '--store',
      join(dir, 'gateway.db'),
      '--out',
      join(dir, 'out'),
    ];
    const first = evalCli(args);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/8 pairs, 0 already finished, 8 called/);
    // Standard error is a pipe here, as in CI: progress comes as whole lines.
    expect(first.stderr).toMatch(/^eval: progress 8\/8 pairs \(100\.0%\), 0 errors, [\d.]+ s elapsed, [\d.]+ pairs\/s$/m);
    expect(first.stderr).not.toMatch(/\r/);
    expect(existsSync(join(dir, 'out', 'eval-report.md'))).toBe(true);
    const report = JSON.parse(readFileSync(join(dir, 'out', 'eval-report.json'), 'utf8')) as {
      configs: string[];
      dataset: { intents: string[] };
      rows: unknown[];
      choices: unknown[];
    };
    expect(report.configs).toEqual(['sonnet-35-v2', 'haiku-35']);
    expect(report.dataset.intents).toEqual(['chitchat', 'faq']);
    expect(report.rows).toHaveLength(4);
    expect(report.choices).toHaveLength(2);
    const second = evalCli(args);
    expect(second.status).toBe(0);
    expect(second.stdout).toMatch(/8 pairs, 8 already finished, 0 called/);
    expect(second.stderr).toMatch(/eval: reusing 8 of 8 pairs already finished in run \S+-embedded \(not called again\); .*--fresh/);
  }, 60_000);
});
