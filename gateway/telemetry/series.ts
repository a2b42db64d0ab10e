import { Counter, type CounterConfiguration, type LabelValues } from 'prom-client';

/**
 * A counter whose increments are summed here per series and handed to prom-client when it collects (on a scrape),
 * so a request pays one Map lookup on a key it already built instead of prom-client's label check and label hash.
 * What a scrape reads is the same as if every increment had gone straight to prom-client.
 */
export class BatchedCounter<T extends string> {
  private readonly pending = new Map<string, { labels: LabelValues<T>; value: number }>();

  constructor(config: CounterConfiguration<T>) {
    const pending = this.pending;
    new Counter<T>({
      ...config,
      collect() {
        for (const series of pending.values()) {
          if (series.value === 0) continue;
          this.inc(series.labels, series.value);
          series.value = 0;
        }
      },
    });
  }

  /**
   * Adds `value` to the series that `key` names (one key per label set); `labels` builds that label set the first
   * time the key is seen. A value that is not a finite number >= 0 is ignored, where prom-client would throw.
   */
  inc(key: string, labels: () => LabelValues<T>, value = 1): void {
    if (!(value >= 0 && value < Number.POSITIVE_INFINITY)) return;
    const series = this.pending.get(key);
    if (series) series.value += value;
    else this.pending.set(key, { labels: labels(), value });
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
