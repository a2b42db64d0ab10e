import { dirname, join } from 'node:path';

/** What a finished demo run left behind, and where. */
export interface DemoOutputs {
  /** The gateway's data directory: the SQLite observation store, and the SQLite config store unless another was chosen. */
  dataDir: string;
  markdownPath: string;
  jsonPath: string;
  dashboardPath: string;
  /** How the config store reads, e.g. `SQLite at /tmp/gateway-demo-x/config.db` (`describeStore`). */
  configStore: string;
}

/** A word as the shell reads it back unchanged: bare when it holds only safe characters, otherwise single-quoted. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The command that runs the analysis again on the demo's data and config store, writing beside the demo's report. */
export function rerunAnalysisCommand(outputs: DemoOutputs): string {
  const store = join(outputs.dataDir, 'gateway.db');
  const out = dirname(outputs.jsonPath);
  return `DATA_DIR=${shellWord(outputs.dataDir)} npm run analysis -- --store ${shellWord(store)} --out ${shellWord(out)}`;
}

/** The lines the demo ends with: where its report, dashboard and data are, and how to rerun the analysis on them. */
export function demoSummary(outputs: DemoOutputs): string[] {
  return [
    `report:       ${outputs.markdownPath}`,
    `              ${outputs.jsonPath}`,
    `dashboard:    ${outputs.dashboardPath} (opens from disk)`,
    `observations: ${join(outputs.dataDir, 'gateway.db')} (SQLite)`,
    `config store: ${outputs.configStore}`,
    `rerun the analysis on this data (same shell, so the same CONFIG_STORE settings):`,
    `  ${rerunAnalysisCommand(outputs)}`,
  ];
}
