import { Counter, type CounterConfiguration, type LabelValues } from 'prom-client';

/**
 * A counter whose increments are summed here per series and handed to prom-client when it collects (on a scrape),
 * so a request pays one Map lookup on a key it already built instead of prom-client's label check and label hash.
 * What a scrape reads is the same as if every increment had gone straight to prom-client.
 */
export class BatchedCounter<T extends string> {
  /** Per series: its labels, what was added since the last scrape, and whether prom-client has the series yet. */
  private readonly pending = new Map<string, { labels: LabelValues<T>; value: number; handed: boolean }>();

  constructor(config: CounterConfiguration<T>) {
    const pending = this.pending;
    const counter = new Counter<T>({
      ...config,
      collect() {
        for (const series of pending.values()) {
          // A series only ever increased by 0 is still exposed (at 0), as prom-client exposes it.
          if (series.value === 0 && series.handed) continue;
          this.inc(series.labels, series.value);
          series.value = 0;
          series.handed = true;
        }
      },
    });
    // A registry's resetMetrics() drops the series prom-client holds; what is pending here goes with them.
    const reset = counter.reset.bind(counter);
    counter.reset = () => {
      pending.clear();
      reset();
    };
  }

  /**
   * Adds `value` to the series that `key` names (one key per label set); `labels` builds that label set the first
   * time the key is seen. A value that is not a finite number >= 0 is ignored, where prom-client would throw.
   */
  inc(key: string, labels: () => LabelValues<T>, value = 1): void {
    if (!(value >= 0 && value < Number.POSITIVE_INFINITY)) return;
    const series = this.pending.get(key);
    if (series) series.value += value;
    else this.pending.set(key, { labels: labels(), value, handed: false });
  }
}

/** Values built the first time their key is asked for and kept, e.g. the label objects of a histogram's series. */
export class Memo<V> {
  private readonly values = new Map<string, V>();

  get(key: string, build: () => V): V {
    let value = this.values.get(key);
    if (value === undefined) {
      value = build();
      this.values.set(key, value);
    }
    return value;
  }
}
