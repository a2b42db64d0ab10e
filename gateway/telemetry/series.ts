import { Counter, Histogram, type CounterConfiguration, type HistogramConfiguration, type LabelValues } from 'prom-client';

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
    clearOnReset(counter, pending);
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

/** Makes `metric.reset()` (what a registry's resetMetrics() calls) also clear `kept`, the series held beside prom-client's. */
function clearOnReset(metric: { reset(): void }, kept: Map<string, unknown>): void {
  const reset = metric.reset.bind(metric);
  metric.reset = () => {
    kept.clear();
    reset();
  };
}

/** prom-client's own record of one histogram series (`Histogram#hashMap` values), which a scrape reads. */
interface HistogramEntry {
  labels: object;
  bucketValues: Record<number, number>;
  sum: number;
  count: number;
}

interface HistogramSeries {
  /** prom-client's record of the series, made when the series is first observed; sum and count go straight to it. */
  entry: HistogramEntry;
  /** Observations per bucket since the last scrape, by index of its upper bound. */
  counts: number[];
}

/**
 * A histogram that finds its series by a key the caller already built (one Map lookup) instead of prom-client
 * checking and hashing the labels of every observation. Sum and count go straight to prom-client's record of the
 * series (`hashMap`, made by the public `zero` when the series is first seen), in the same order as `observe` would
 * add them; bucket counts are kept by index and added when prom-client collects. A scrape reads the same buckets,
 * sum and count as if every value had gone to `observe`: the test of this class compares whole expositions with a
 * plain Histogram's, so a prom-client that stored its series otherwise would fail it.
 */
export class BatchedHistogram<T extends string> {
  private readonly series = new Map<string, HistogramSeries>();
  private readonly bounds: readonly number[];
  private readonly histogram: Histogram<T>;

  constructor(config: HistogramConfiguration<T> & { buckets: number[] }) {
    const all = this.series;
    const bounds = [...config.buckets];
    this.bounds = bounds;
    this.histogram = new Histogram<T>({
      ...config,
      collect() {
        for (const { entry, counts } of all.values()) {
          for (let i = 0; i < bounds.length; i++) {
            if (counts[i] === 0) continue;
            entry.bucketValues[bounds[i]!] = (entry.bucketValues[bounds[i]!] ?? 0) + counts[i]!;
            counts[i] = 0;
          }
        }
      },
    });
    // A registry's resetMetrics() drops prom-client's records: the series found here go with them.
    clearOnReset(this.histogram, all);
  }

  /**
   * Adds `value` to the series that `key` names (one key per label set); `labels` builds that label set the first
   * time the key is seen. A value that is not a finite number is ignored, where prom-client would throw.
   */
  observe(key: string, labels: () => LabelValues<T>, value: number): void {
    if (!Number.isFinite(value)) return;
    const series = this.series.get(key) ?? this.start(key, labels());
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    // Above the last bound a value counts only in +Inf (the count), as in prom-client.
    if (i < bounds.length) series.counts[i]!++;
    series.entry.sum += value;
    series.entry.count += 1;
  }

  private start(key: string, labels: LabelValues<T>): HistogramSeries {
    this.histogram.zero(labels);
    const records = Object.values((this.histogram as unknown as { hashMap: Record<string, HistogramEntry> }).hashMap);
    const entry = records.find((r) => r.labels === labels);
    if (!entry) throw new Error(`prom-client kept no series for ${JSON.stringify(labels)}`);
    const series = { entry, counts: new Array<number>(this.bounds.length).fill(0) };
    this.series.set(key, series);
    return series;
  }
}
