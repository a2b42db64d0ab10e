import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExperimentReport } from '../analysis/experiment.ts';
import { runJob } from '../analysis/job.ts';
import type { AnalysisReport } from '../analysis/report/build.ts';
import { hasAnalysisIndexes } from '../analysis/queries/sqlite-indexed.ts';
import { openDatabase } from '../stores/sqlite/database.ts';
import { writeExperimentRows } from './analysis-rows.ts';
import { adminCall, converse, startControlledStack, waitFor } from './support/admin-stack.ts';
import { tempDir } from './support/gateway.ts';

/** Share of the treatment's sessions that never reach the observation log in the broken experiment. */
const LOST = 0.2;
const SHIPPED = 'config/mangaassist.json';
const CREATED = {
  id: 'pq-upgrade',
  route: 'mangaassist',
  intent: 'product_question',
  control: 'sonnet-3',
  treatment: 'sonnet-35-v2',
  split: 0.5,
};

let dataDir: string;
let storeVersion: number;
const arms = new Map<string, Set<string>>();

/** `npm run analysis` as a user runs it: no --config, the config store chosen by the environment. */
function analysisCli(args: string[], env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'analysis/cli.ts', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, ...env },
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

const experiment = (report: AnalysisReport, id: string): ExperimentReport => report.experiments.find((e) => e.id === id)!;

beforeAll(async () => {
  // A gateway started from the shipped file (its experiment sonnet-v2-upgrade runs at split 0.1), SQLite stores.
  const stack = await startControlledStack({ observations: true });
  dataDir = stack.dataDir;
  try {
    expect((await adminCall(stack.url, 'POST', '/experiments', CREATED)).status).toBe(201);
    const patched = await adminCall(stack.url, 'PATCH', '/experiments/sonnet-v2-upgrade', { split: 0.5 });
    expect(patched.status).toBe(200);
    storeVersion = (await adminCall(stack.url, 'GET', '/config')).json.version;
    await waitFor(async () => stack.control.source.stats().version === storeVersion, 5_000, 'the gateway to load the admin changes');
    for (let i = 0; i < 40; i++) {
      for (const intent of ['product_question', 'recommendation']) {
        const call = await converse(stack.url, intent, `live-${intent}-${i}`);
        expect(call.status).toBe(200);
        arms.set(intent, (arms.get(intent) ?? new Set()).add(`${call.arm}:${call.config}`));
      }
    }
  } finally {
    await stack.close();
  }
  const db = openDatabase(join(dataDir, 'gateway.db'));
  const common = {
    sessions: 3000,
    sessionSd: 0.05,
    cartAdd: [0.12, 0.12] as [number, number],
    escalated: [0.05, 0.05] as [number, number],
  };
  // Every fifth treatment session is lost: the treatment holds 0.4 / 0.9 of the sessions instead of half.
  writeExperimentRows(db, {
    ...common,
    ...CREATED,
    experimentId: CREATED.id,
    treatmentShare: (0.5 * (1 - LOST)) / (1 - 0.5 * LOST),
    seed: 11,
  });
  // The shipped experiment, its split changed to 0.5 through the admin API, follows the new split.
  writeExperimentRows(db, {
    ...common,
    experimentId: 'sonnet-v2-upgrade',
    intent: 'recommendation',
    control: 'sonnet-35-v1',
    treatment: 'sonnet-35-v2',
    treatmentShare: 0.5,
    seed: 12,
  });
  db.close();
}, 60_000);

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('the analysis reads the configuration from the config store', () => {
  it('routes the experiment created through the admin API (the gateway follows the store)', () => {
    expect(arms.get('product_question')).toEqual(new Set(['control:sonnet-3', 'treatment:sonnet-35-v2']));
    expect(arms.get('recommendation')).toEqual(new Set(['control:sonnet-35-v1', 'treatment:sonnet-35-v2']));
  });

  it('checks the sample ratio with the split in the store, flags the lost sessions and does not promote', () => {
    const out = join(dataDir, 'reports');
    const run = analysisCli(['--out', out], { DATA_DIR: dataDir });
    const where = join(dataDir, 'config.db');
    expect(run.status, run.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'analysis.json'), 'utf8')) as AnalysisReport;
    expect(report.configSource).toMatchObject({
      kind: 'store',
      store: 'sqlite',
      location: join(dataDir, 'config.db'),
      version: storeVersion,
    });
    expect(run.stdout).toContain(`Configuration analysed: sqlite config store at ${join(dataDir, 'config.db')}, version ${storeVersion}.`);
    const broken = experiment(report, CREATED.id);
    expect(broken.srm).not.toBeNull();
    expect(broken.srm!.mismatch).toBe(true);
    expect(broken.decision.decision).not.toBe('PROMOTE');
    expect(run.stdout).toMatch(/### pq-upgrade \(product_question\): \*\*REVIEW\*\*/);
    const changed = experiment(report, 'sonnet-v2-upgrade');
    const figures = (e: ExperimentReport): string =>
      `${e.id}: sessions ${e.arms.map((a) => a.sessions).join('/')}, SRM chi2 ${e.srm?.chi2.toFixed(2)}, p ${e.srm?.p.toExponential(2)}, ${e.decision.decision}`;
    console.log(`config store version ${storeVersion}; ${figures(broken)}; ${figures(changed)}`);
    expect(changed.srm).not.toBeNull();
    expect(changed.srm!.mismatch).toBe(false);
    expect(readFileSync(join(out, 'dashboard.html'), 'utf8')).toContain(
      `configuration: sqlite config store at ${where}, version ${storeVersion}`,
    );
  }, 60_000);

  it('--build-indexes builds the analysis indexes once and gives the same report; a missing store is named', () => {
    const store = join(dataDir, 'gateway.db');
    const before = openDatabase(store, { readonly: true });
    expect(hasAnalysisIndexes(before)).toBe(false);
    before.close();
    const plain = analysisCli(['--out', join(dataDir, 'plain')], { DATA_DIR: dataDir });
    const indexed = analysisCli(['--out', join(dataDir, 'indexed'), '--build-indexes'], { DATA_DIR: dataDir });
    expect(indexed.status, indexed.stderr).toBe(0);
    expect(indexed.stderr).toContain(`analysis indexes in ${store}: ready after`);
    const after = openDatabase(store, { readonly: true });
    expect(hasAnalysisIndexes(after)).toBe(true);
    after.close();
    const read = (dir: string): AnalysisReport => JSON.parse(readFileSync(join(dataDir, dir, 'analysis.json'), 'utf8')) as AnalysisReport;
    expect(read('indexed').experiments).toEqual(read('plain').experiments);
    expect(read('indexed').intents).toEqual(read('plain').intents);
    expect(plain.status, plain.stderr).toBe(0);
    const missing = analysisCli(['--out', join(dataDir, 'never'), '--build-indexes', '--store', join(dataDir, 'nope.db')], {
      DATA_DIR: dataDir,
    });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain(`--build-indexes: no SQLite store at ${join(dataDir, 'nope.db')}`);
    expect(existsSync(join(dataDir, 'nope.db'))).toBe(false);
  }, 120_000);

  it('with --config the shipped file, shows what the store prevents: the unrecorded sessions go unchecked, and the old split', async () => {
    const { report, markdown } = await runJob({
      store: join(dataDir, 'gateway.db'),
      configPath: 'config/mangaassist.json',
      outDir: join(dataDir, 'file-reports'),
    });
    expect(report.configSource).toMatchObject({ kind: 'file', path: 'config/mangaassist.json', reason: 'override' });
    const broken = experiment(report, CREATED.id);
    // Only the sessions the gateway routed carry a recorded share; the file knows nothing of the rest.
    expect(broken.srm!.periods.every((p) => p.source === 'recorded')).toBe(true);
    expect(broken.srm!.unknownSessions).toBeGreaterThan(2000);
    expect(broken.srm!.mismatch).toBe(false);
    expect(broken.decision.decision).toBe('PROMOTE');
    expect(markdown).toContain('sessions with an unknown split left out');
    const old = experiment(report, 'sonnet-v2-upgrade');
    expect(old.srm!.mismatch).toBe(true);
    console.log(
      `with the file: ${CREATED.id} SRM over ${broken.srm!.observed.join('/')} recorded sessions, ${broken.srm!.unknownSessions} unknown, ${broken.decision.decision}; ` +
        `sonnet-v2-upgrade at split 0.1: chi2 ${old.srm!.chi2.toFixed(0)}, ${old.decision.decision}`,
    );
  }, 30_000);

  it('falls back to the configuration file with a note while the store is empty, and creates nothing', async () => {
    const empty = tempDir('analysis-empty-store-');
    const path = join(empty, 'config.db');
    const { report, markdown } = await runJob({
      store: join(dataDir, 'gateway.db'),
      configStore: { kind: 'sqlite', path },
      fallbackConfigPath: 'config/mangaassist.json',
      outDir: join(empty, 'reports'),
    });
    expect(report.configSource).toMatchObject({ kind: 'file', path: 'config/mangaassist.json', reason: 'store-empty' });
    expect(markdown).toContain(
      `the sqlite config store at ${path} is empty (no gateway has started on it yet): used the configuration file ${SHIPPED} instead`,
    );
    expect(existsSync(path)).toBe(false);
    rmSync(empty, { recursive: true, force: true });
  }, 30_000);

  it('exits non-zero naming the variable when the environment is bad', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ CONFIG_STORE: 'postgres' }, /invalid environment:\nCONFIG_STORE: /],
      [{ CONFIG_STORE: 'upstash' }, /UPSTASH_REDIS_REST_URL: required when CONFIG_STORE=upstash/],
    ];
    for (const [env, message] of cases) {
      const run = analysisCli(['--out', join(dataDir, 'never')], { DATA_DIR: dataDir, ...env });
      expect(run.status, JSON.stringify(env)).toBe(2);
      expect(run.stderr).toMatch(message);
    }
    expect(existsSync(join(dataDir, 'never'))).toBe(false);
  }, 60_000);
});
