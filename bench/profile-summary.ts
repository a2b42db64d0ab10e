import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

/** The parts of a V8 `.cpuprofile` the summary reads. */
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time of a function or of a module. */
export interface SelfTime {
  name: string;
  ms: number;
  /** Share of the busy (non-idle) time, percent. */
  percentOfBusy: number;
}

/** Self time per function (`name location`) and per module (package, project directory or Node area), largest first. */
export function selfTimes(profile: CpuProfile): { functions: SelfTime[]; modules: SelfTime[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const functions = new Map<string, number>();
  const modules = new Map<string, number>();
  let busyUs = 0;
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id);
    if (!frame || frame.functionName === '(idle)') return;
    const us = profile.timeDeltas[i] ?? 0;
    busyUs += us;
    const path = shortPath(frame.url);
    const name = `${frame.functionName || '(anonymous)'}${path ? ` ${path}:${frame.lineNumber + 1}` : ''}`;
    functions.set(name, (functions.get(name) ?? 0) + us);
    const module = moduleOf(path, frame.functionName);
    modules.set(module, (modules.get(module) ?? 0) + us);
  });
  const ranked = (totals: Map<string, number>): SelfTime[] =>
    [...totals].sort((a, b) => b[1] - a[1]).map(([name, us]) => ({ name, ms: us / 1000, percentOfBusy: busyUs ? (100 * us) / busyUs : 0 }));
  return { functions: ranked(functions), modules: ranked(modules) };
}

function shortPath(url: string): string {
  return url.startsWith('file://') ? relative(process.cwd(), fileURLToPath(url)) : url;
}

function moduleOf(path: string, functionName: string): string {
  if (!path) return functionName.startsWith('(') ? functionName : 'native / builtins';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (pkg) return pkg[1]!;
  if (path.startsWith('node:internal/deps/undici')) return 'node:fetch (undici)';
  if (path.startsWith('node:')) return path.split('/').slice(0, 2).join('/');
  return path.split('/').slice(0, -1).join('/') || path;
}

/** The main-thread profile of a directory: the largest `.cpuprofile` in it. */
function profileFile(path: string): string {
  if (!statSync(path).isDirectory()) return path;
  const files = readdirSync(path)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(path, f));
  const largest = files.sort((a, b) => statSync(b).size - statSync(a).size)[0];
  if (!largest) throw new Error(`no .cpuprofile in ${path}`);
  return largest;
}

/** `npx tsx bench/profile-summary.ts <file.cpuprofile | directory> [top]`: top self time by module and by function. */
function main(): void {
  const [path, top = '20'] = process.argv.slice(2);
  if (!path) throw new Error('usage: tsx bench/profile-summary.ts <file.cpuprofile | directory> [top]');
  const file = profileFile(path);
  const { functions, modules } = selfTimes(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
  const table = (title: string, rows: SelfTime[]): string =>
    [
      `| ${title} | self ms | % of busy |`,
      '| --- | --: | --: |',
      ...rows.slice(0, Number(top)).map((r) => `| ${r.name} | ${r.ms.toFixed(0)} | ${r.percentOfBusy.toFixed(1)} |`),
    ].join('\n');
  console.log(`${file}\n\n${table('module', modules)}\n\n${table('function', functions)}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
