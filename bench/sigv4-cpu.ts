/**
 * CPU per SigV4 signature (the upstream signer) and per verification (clients signing with gateway key pairs), with
 * one long-lived signer or verifier as a process or isolate keeps them: in Node over node:crypto and Web Crypto, and
 * under workerd (the Worker `bench/sigv4-probe-worker.ts` through Miniflare) over Web Crypto; each Web Crypto run
 * also without imported keys kept (every HMAC imports its key), the comparison for that cache. Rounds of each case
 * are interleaved; the median and least of the rounds are reported. Node CPU is the process's (Web Crypto's thread
 * pool included); workerd CPU is the workerd process's, from /proc in 10 ms ticks (so 2 µs steps at 5,000 calls).
 *
 *   node --import tsx bench/sigv4-cpu.ts [--rounds 5] [--calls 5000]
 *
 * Writes `bench/results/sigv4-cpu-<time>.md`. Not part of `npm run bench`. With `--only node|web|web-import-every-hmac
 * --op sign|verify`, runs that workload `--calls` times in this process and measures nothing, for an instruction
 * count (`valgrind --tool=callgrind`) at two call counts, whose difference is free of start-up.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { nodeSigningCrypto } from '../gateway/upstreams/bedrock/node-crypto.ts';
import { webSigningCrypto, type SigningCrypto } from '../gateway/upstreams/bedrock/sigv4.ts';
import { sigv4Workload, webImportEveryHmac, type SigV4Op } from './sigv4-probe-worker.ts';
import { RESULTS_DIR } from './write-results.ts';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    calls: { type: 'string', default: '5000' },
    only: { type: 'string' },
    op: { type: 'string', default: 'sign' },
  },
});
const ROUNDS = Number(values.rounds);
const CALLS = Number(values.calls);
if (!(Number.isInteger(ROUNDS) && ROUNDS > 0 && Number.isInteger(CALLS) && CALLS >= 100)) {
  console.error('--rounds must be a positive integer and --calls an integer of at least 100');
  process.exit(2);
}
const OPS: SigV4Op[] = ['sign', 'verify'];
const BY_NAME: Record<string, SigningCrypto> = {
  node: nodeSigningCrypto,
  web: webSigningCrypto,
  'web-import-every-hmac': webImportEveryHmac,
};
if (values.only !== undefined) {
  const only = BY_NAME[values.only];
  if (!only || (values.op !== 'sign' && values.op !== 'verify')) {
    console.error(`--only must be one of ${Object.keys(BY_NAME).join(', ')} and --op sign or verify`);
    process.exit(2);
  }
  await (await sigv4Workload(only, values.op))(CALLS);
  process.exit(0);
}

interface Sample {
  cpuUs: number;
  wallUs: number;
}
const samples = new Map<string, Sample[]>();
const record = (key: string, sample: Sample): void => void samples.set(key, [...(samples.get(key) ?? []), sample]);

async function measureNode(): Promise<void> {
  const cryptos: [string, SigningCrypto][] = [
    ['node:crypto', nodeSigningCrypto],
    ['Web Crypto, key imported every HMAC', webImportEveryHmac],
    ['Web Crypto', webSigningCrypto],
  ];
  const runs = new Map<string, (n: number) => Promise<void>>();
  for (const [name, c] of cryptos)
    for (const op of OPS) {
      const run = await sigv4Workload(c, op);
      await run(500);
      runs.set(`node|${name}|${op}`, run);
    }
  for (let round = 0; round < ROUNDS; round++)
    for (const [key, run] of runs) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await run(CALLS);
      const wallUs = ((performance.now() - t0) * 1000) / CALLS;
      const cpu = process.cpuUsage(c0);
      record(key, { cpuUs: (cpu.user + cpu.system) / CALLS, wallUs });
    }
}

/** The workerd processes this process started (Miniflare's runtime). */
function workerdChildren(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && stat.includes('(workerd)')) pids.push(Number(entry));
    } catch {
      // Gone between listing and reading.
    }
  }
  return pids;
}

/** User and system CPU of a process, ms. */
function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function measureWorkerd(): Promise<void> {
  // Loaded here, so `--only` runs load no more than the workload.
  const { startWorkerd } = await import('../gateway/edge/local.ts');
  const worker = await startWorkerd({ port: 0, vars: {}, entrypoint: 'bench/sigv4-probe-worker.ts' });
  try {
    const [pid] = workerdChildren();
    if (pid === undefined) throw new Error('workerd process not found');
    const call = async (crypto: string, op: SigV4Op, n: number): Promise<void> => {
      const res = await fetch(`${worker.url}/?crypto=${crypto}&op=${op}&n=${n}`);
      if (res.status !== 200) throw new Error(`probe Worker answered ${res.status}: ${await res.text()}`);
      await res.arrayBuffer();
    };
    const cryptos: [string, string][] = [
      ['web-import-every-hmac', 'Web Crypto, key imported every HMAC'],
      ['web', 'Web Crypto'],
    ];
    for (const [crypto] of cryptos) for (const op of OPS) await call(crypto, op, 500);
    for (let round = 0; round < ROUNDS; round++)
      for (const [crypto, name] of cryptos)
        for (const op of OPS) {
          const c0 = processCpuMs(pid);
          const t0 = performance.now();
          await call(crypto, op, CALLS);
          const wallUs = ((performance.now() - t0) * 1000) / CALLS;
          record(`workerd|${name}|${op}`, { cpuUs: ((processCpuMs(pid) - c0) * 1000) / CALLS, wallUs });
        }
  } finally {
    await worker.close();
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(', ');

const loadBefore = load();
await measureNode();
await measureWorkerd();
const lines = [
  `# SigV4 CPU per call (${new Date().toISOString()})`,
  '',
  `${cpus().length} cores; load average ${loadBefore} before, ${load()} after; ${ROUNDS} interleaved rounds of ${CALLS} calls per case.`,
  '',
  '| runtime | crypto | op | CPU µs/call median | CPU µs/call least | wall µs/call median |',
  '| --- | --- | --- | --: | --: | --: |',
];
for (const [key, list] of samples) {
  const [runtime, crypto, op] = key.split('|');
  const cpu = list.map((s) => s.cpuUs);
  lines.push(
    `| ${runtime} | ${crypto} | ${op} | ${median(cpu).toFixed(1)} | ${Math.min(...cpu).toFixed(1)} | ${median(list.map((s) => s.wallUs)).toFixed(1)} |`,
  );
}
const file = join(RESULTS_DIR, `sigv4-cpu-${new Date().toISOString().slice(0, 19).replace(/:/g, '-')}.md`);
writeFileSync(file, `${lines.join('\n')}\n`);
console.log(lines.join('\n'));
console.log(`\nwritten to ${file}`);
