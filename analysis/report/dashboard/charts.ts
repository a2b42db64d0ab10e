import { escapeHtml } from './format.ts';

/** How an axis or a value is printed on the page. */
export type ValueFormat = 'usd' | 'ms' | 'fraction' | 'percent' | 'number' | 'minutes';

/** One axis of a chart. */
export interface AxisSpec {
  title: string;
  format: ValueFormat;
  /** Category axes list labels; linear axes print numbers with `format`. */
  type?: 'linear' | 'category';
  min?: number;
  max?: number;
  /** A range the axis shows at least (Chart.js rounds it to nice ticks); set by `fitRange`. */
  suggestedMin?: number;
  suggestedMax?: number;
  stacked?: boolean;
}

/** A point of a scatter or line chart; `label` names it in tooltips. */
export interface Point {
  x: number;
  y: number;
  label: string;
}

/** A Chart.js dataset as JSON; `role` lets readers find a dataset without relying on its label. */
export interface DatasetSpec {
  role: string;
  label: string;
  data: (Point | number | [number, number])[];
  [option: string]: unknown;
}

/** A chart as JSON: the inline script turns it into a Chart.js configuration. */
export interface ChartSpec {
  id: string;
  type: 'scatter' | 'bar' | 'doughnut';
  labels?: string[];
  datasets: DatasetSpec[];
  axes: { x?: AxisSpec; y?: AxisSpec };
  indexAxis?: 'x' | 'y';
  /** Format of values in tooltips of charts without axes. */
  valueFormat?: ValueFormat;
}

/** HTML of a part of the page and the charts its canvases need. */
export interface Section {
  html: string;
  charts: ChartSpec[];
}

/** Colours that stay apart on a white background. */
export const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

/** Colour of the highlighted (chosen) configuration. */
export const CHOSEN_COLOUR = '#d62728';
/** Colour of the configuration in force. */
export const CURRENT_COLOUR = '#1f1f1f';

/** A palette colour by index. */
export function colour(i: number): string {
  return PALETTE[i % PALETTE.length]!;
}

/** A DOM id fragment: lower-case letters, digits, `-` and `_` only. */
export function slug(text: string): string {
  const s = text
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return s || 'x';
}

/** Returns slugs that are unique within one page part (a suffix separates names that slug alike). */
export function uniqueSlugs(): (text: string) => string {
  const used = new Set<string>();
  return (text) => {
    let s = slug(text);
    for (let i = 2; used.has(s); i++) s = `${slug(text)}-${i}`;
    used.add(s);
    return s;
  };
}

/** A `<canvas>` for a chart, inside a sized box (Chart.js fills its parent). */
export function canvas(id: string, caption: string): string {
  return `<figure class="chart"><div class="chart-box"><canvas id="${id}" data-chart="${id}" role="img" aria-label="${escapeHtml(caption)}"></canvas></div><figcaption>${escapeHtml(caption)}</figcaption></figure>`;
}

/**
 * An axis range that fits `values` with a margin (10% of the span, or of the value when all are equal), never
 * below zero when no value is, so a chart neither crowds its points on one edge nor shows meaningless negatives.
 * Null when there is no finite value.
 */
export function fitRange(values: readonly number[]): { suggestedMin: number; suggestedMax: number } | null {
  const finite = values.filter(Number.isFinite);
  if (!finite.length) return null;
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const pad = hi > lo ? (hi - lo) * 0.1 : Math.abs(hi) * 0.1 || 1;
  return { suggestedMin: lo >= 0 ? Math.max(0, lo - pad) : lo - pad, suggestedMax: hi + pad };
}
