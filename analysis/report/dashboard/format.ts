const dash = '–';

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** A number with fixed decimals, or a dash. */
export function num(x: number | null | undefined, digits = 3): string {
  return x === null || x === undefined || !Number.isFinite(x) ? dash : x.toFixed(digits);
}

/** A fraction as a percentage, or a dash. */
export function pct(x: number | null | undefined, digits = 1): string {
  return x === null || x === undefined || !Number.isFinite(x) ? dash : `${(100 * x).toFixed(digits)}%`;
}

/**
 * US dollars: `$0` for zero, whole dollars from $100, cents from $0.10, and below that three significant digits
 * (`$0.0123`, `$0.00412`) so per-request amounts stay readable without trailing zeros on round figures.
 */
export function usd(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return dash;
  return `${x < 0 ? '-' : ''}$${usdDigits(Math.abs(x))}`;
}

function usdDigits(abs: number): string {
  if (abs === 0) return '0';
  if (abs >= 100) return Math.round(abs).toLocaleString('en-US');
  if (abs >= 0.1) return abs.toFixed(2);
  return abs.toFixed(Math.min(10, 2 - Math.floor(Math.log10(abs))));
}

/** Milliseconds, rounded. */
export function ms(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x) ? dash : `${Math.round(x)} ms`;
}

/** A p-value, in scientific notation when tiny. */
export function pValue(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return dash;
  return p < 1e-4 ? p.toExponential(1) : p.toFixed(4);
}

/** An epoch-ms time as ISO 8601 (UTC, seconds). */
export function isoTime(at: number | null | undefined): string {
  return at === null || at === undefined || !Number.isFinite(at) ? dash : new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** An HTML table; cells are HTML already escaped by the caller. */
export function table(head: string[], rows: string[][], className = ''): string {
  const th = head.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n');
  return `<div class="table-wrap"><table${className ? ` class="${className}"` : ''}><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

/** A paragraph saying that a section has nothing to show. */
export function empty(text: string): string {
  return `<p class="empty">${escapeHtml(text)}</p>`;
}
