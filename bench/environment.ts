import { createRequire } from 'node:module';
import { arch, availableParallelism, cpus, platform, release, totalmem } from 'node:os';

/** The machine and runtime a result was measured on. */
export interface Environment {
  node: string;
  cpuModel: string;
  cores: number;
  platform: string;
  totalMemoryGb: number;
  /** The npm undici the load generator uses. */
  loadGeneratorUndici: string;
  /** The undici inside Node that `fetch` in the proxies uses. */
  nodeFetchUndici: string;
}

/** Describes the current machine and runtime. */
export function describeEnvironment(): Environment {
  const require = createRequire(import.meta.url);
  const undici = require('undici/package.json') as { version: string };
  return {
    node: process.version,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    platform: `${platform()} ${release()} ${arch()}`,
    totalMemoryGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    loadGeneratorUndici: undici.version,
    nodeFetchUndici: process.versions.undici ?? 'unknown',
  };
}
