import { Counter, Gauge, type Registry } from 'prom-client';
import type { StoreSourceStats } from './store-source.ts';

/** Metrics of the store-backed configuration source, read from its counters at scrape time. */
export function registerConfigStoreMetrics(registry: Registry, stats: () => StoreSourceStats): void {
  let reportedFailures = 0;
  let reportedReloads = 0;
  new Counter({
    name: 'gateway_config_store_failures_total',
    help: 'Polls of the config store that failed (the last good configuration stayed in force)',
    registers: [registry],
    collect() {
      const s = stats();
      this.inc(s.failedPolls - reportedFailures);
      reportedFailures = s.failedPolls;
    },
  });
  new Counter({
    name: 'gateway_config_reloads_total',
    help: 'Configuration versions loaded from the config store',
    registers: [registry],
    collect() {
      const s = stats();
      this.inc(s.reloads - reportedReloads);
      reportedReloads = s.reloads;
    },
  });
  new Gauge({
    name: 'gateway_config_version',
    help: 'Config store version in force',
    registers: [registry],
    collect() {
      this.set(stats().version);
    },
  });
  new Gauge({
    name: 'gateway_config_store_up',
    help: '1 while the config store answers, 0 during an outage',
    registers: [registry],
    collect() {
      this.set(stats().unavailable ? 0 : 1);
    },
  });
}
